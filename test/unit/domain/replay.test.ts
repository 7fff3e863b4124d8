import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffTurn, formatDifference, injectionOf, readTranscript } from '../../../src/domain/replay.js';

const line = (o: unknown): string => JSON.stringify(o);
const inbound = (body: string) => ({ kind: 'message', type: 'chat', from: 'alice@example.com', to: 'dev-app@appspot.com', body });
const sent = (id: number, body: string) => ({
  type: 'sent',
  seq: id,
  time: `2026-01-01T00:00:0${id}Z`,
  entry: { id, time: 'x', kind: 'message', from: 'dev-app@appspot.com/bot', to: ['alice@example.com'], body, version: null },
});

const transcript = [
  line({ type: 'presence', seq: 1 }),
  line(sent(1, 'Greetings!')),
  line({ type: 'delivered', seq: 3, result: { delivered: true }, inbound: inbound('hello') }),
  line(sent(2, 'to myself')),
  line({ type: 'delivered', seq: 5, result: { delivered: true, loopback: true }, inbound: inbound('to myself') }),
  line({ type: 'delivered', seq: 6, result: { delivered: true }, inbound: inbound('/echo hi') }),
  line(sent(3, 'hi')),
  line({ type: 'sent', namespace: 'other', entry: { id: 1, body: 'not ours' } }),
  '',
].join('\n');

test('a transcript splits into turns: each delivery and what the app sent for it, ids and times left out', () => {
  const turns = readTranscript(transcript);
  assert.equal(turns.length, 2);
  assert.deepEqual(turns[0]!.sent, [{ body: 'Greetings!', from: 'dev-app@appspot.com/bot', kind: 'message', to: ['alice@example.com'], version: null }]);
  assert.deepEqual(
    turns[1]!.sent.map((e) => e.body),
    ['to myself', 'hi'],
  );
  assert.deepEqual(injectionOf(turns[1]!.inbound), { from: 'alice@example.com', to: 'dev-app@appspot.com', body: '/echo hi', type: 'chat', replay: true });
  assert.equal(readTranscript(transcript, 'other').length, 0);
});

test('the same output passes whatever its ids and times; a changed body is shown as - and +', () => {
  const [t1] = readTranscript(transcript);
  assert.equal(diffTurn(t1!, [{ ...sent(9, 'Greetings!').entry, time: 'later', in_reply_to: 'abc' }]), null);
  const d = diffTurn(t1!, [sent(9, 'Hi there!').entry]);
  assert.ok(d);
  const text = formatDifference(d);
  assert.match(text, /^turn 1 \(message from alice@example.com: "hello"\):/);
  assert.match(text, /\n- .*"Greetings!"/);
  assert.match(text, /\n\+ .*"Hi there!"/);
  assert.ok(diffTurn(t1!, []), 'a missing reply is a difference');
});

test('a broken transcript is refused with its line number', () => {
  assert.throws(() => readTranscript('{"type":"sent","entry":{}}\nnot json\n'), /line 2 is not JSON/);
  assert.throws(() => readTranscript(line({ type: 'delivered', result: {} })), /without "inbound"/);
});
