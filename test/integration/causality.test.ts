// The shared names that link calls to deliveries and report refusals: delivery ids (tickets), outbox
// `protocol` and `in_reply_to`, and the `rejected` event on the one stream (console JSON and transcript too).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { startEmulator, type EmulatorEvent, type RunningEmulator } from '../../src/index.js';
import { postJson, startTestApp, type TestApp } from '../helpers.js';

let app: TestApp;
let em: RunningEmulator;
let transcript: string;
const consoleOut = new PassThrough();
let consoleText = '';
consoleOut.on('data', (c: Buffer) => (consoleText += c.toString('utf8')));

before(async () => {
  app = await startTestApp();
  transcript = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'xmpp-emu-causality-')), 't.jsonl');
  em = await startEmulator({ port: 0, appId: 'my-app', appUrl: app.url, appYaml: null, record: transcript, console: true, json: true, stdout: consoleOut });
});
after(async () => {
  await em.close();
  await app.close();
});

function nextEvent(type: EmulatorEvent['type']): Promise<EmulatorEvent> {
  return new Promise((resolve) => {
    const off = em.onEvent((e) => {
      if (e.type === type) {
        off();
        resolve(e);
      }
    });
  });
}

test('each delivery carries one fresh id in both ticket headers, and reports it as its id', async () => {
  const received = app.next();
  const r1 = await em.injectMessage({ from: 'alice@example.com/desktop', body: 'one' });
  const got = await received;
  assert.match(r1.id, /\S/);
  assert.equal(got.headers['x-appengine-api-ticket'], r1.id);
  assert.equal(got.headers['x-appengine-dev-request-id'], r1.id);
  const r2 = await em.injectMessage({ from: 'alice@example.com/desktop', body: 'two' });
  assert.notEqual(r2.id, r1.id);
});

test('an outbox entry names the protocol and the delivery it answers (only a ticket the emulator issued links)', async () => {
  const d = await em.injectMessage({ from: 'bob@example.com/desktop', body: 'hi' });
  const cases: Array<[string | undefined, string | null]> = [
    [d.id, d.id],
    ['not-a-ticket', null],
    [undefined, null],
  ];
  for (const [ticket, expected] of cases) {
    const since = await em.lastOutboxId();
    const headers: Record<string, string> = ticket ? { 'X-AppEngine-API-Ticket': ticket } : {};
    assert.equal((await postJson(em.url, '/v1/xmpp/send_message', { jids: 'bob@example.com', body: 'reply' }, headers)).status, 200);
    const entry = await em.waitFor({ since });
    assert.equal(entry.protocol, 'json');
    assert.equal(entry.in_reply_to, expected, `ticket ${ticket}`);
  }
  const since = await em.lastOutboxId();
  await postJson(em.url, '/v1/xmpp/send_invite', { jid: 'bob@example.com' }, { 'X-AppEngine-API-Ticket': d.id });
  await postJson(em.url, '/v1/xmpp/send_presence', { jid: 'bob@example.com' }, { 'X-AppEngine-API-Ticket': d.id });
  const entries = await em.outbox({ since });
  assert.deepEqual(
    entries.map((e) => [e.kind, e.protocol, e.in_reply_to]),
    [
      ['invite', 'json', d.id],
      ['presence', 'json', d.id],
    ],
  );
});

// Every refusal of the JSON service API, unknown endpoints included, becomes one `rejected` event.
const REFUSED: Array<[string, string, unknown, string, string]> = [
  ['/v1/xmpp/send_message', 'send_message', { jids: 'a@b.c' }, 'NO_BODY', 'body is missing'],
  ['/v1/xmpp/send_message', 'send_message', '{"jids": ', 'BAD_REQUEST', 'malformed JSON'],
  ['/v1/xmpp/get_presence', 'get_presence', { jid: 'nope' }, 'INVALID_JID', 'not a valid JID'],
  ['/v1/xmpp/send_invite', 'send_invite', { jid: '' }, 'INVALID_JID', 'jid is empty'],
  ['/v1/xmpp/send_presence', 'send_presence', { jid: 'a@b.c', presence_show: 'busy' }, 'INVALID_SHOW', 'presence_show "busy"'],
  ['/v1/xmpp/send_smoke_signal', 'send_smoke_signal', {}, 'NOT_FOUND', 'no such endpoint'],
];

test('every refused service call emits rejected {call, protocol, code, message, request}', async () => {
  for (const [url, call, body, code, message] of REFUSED) {
    const seen = nextEvent('rejected');
    const r = await postJson(em.url, url, body);
    assert.equal(r.body.error.code, code);
    const e = (await seen) as Extract<EmulatorEvent, { type: 'rejected' }>;
    assert.equal(e.call, call);
    assert.equal(e.protocol, 'json');
    assert.equal(e.code, code);
    assert.ok(e.message.includes(message), `${e.message} mentions ${message}`);
    assert.deepEqual(e.request, typeof body === 'string' ? null : body);
  }
});

test('the request in a rejected event is bounded in size', async () => {
  const seen = nextEvent('rejected');
  const jids = Array.from({ length: 5000 }, (_, i) => `user${i}@example.com`);
  await postJson(em.url, '/v1/xmpp/send_message', { jids, body: 'x'.repeat(200_000) });
  const e = (await seen) as Extract<EmulatorEvent, { type: 'rejected' }>;
  assert.equal(e.code, 'EXCEEDED_MAX_SIZE');
  assert.ok(JSON.stringify(e.request).length < 4096, `request kept at ${JSON.stringify(e.request).length} characters`);
  assert.match(JSON.stringify(e.request), /200000 characters/);
  assert.match(JSON.stringify(e.request), /5000 items/);
});

test('rejected events reach the --json console and the transcript', async () => {
  const seen = nextEvent('rejected');
  await postJson(em.url, '/v1/xmpp/send_message', { jids: 'a@b.c', body: 'x', message_type: 'mark-this-call' });
  const e = await seen;
  // The console writes once per turn of the event loop: wait for the chunk that holds this event.
  while (!consoleText.includes(`"seq":${e.seq},`)) await new Promise((r) => consoleOut.once('data', r));
  const line = (text: string): unknown =>
    text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .find((x) => x.seq === e.seq);
  assert.deepEqual(line(consoleText), e);
  assert.deepEqual(line(fs.readFileSync(transcript, 'utf8')), e);
});
