// HTTP long-polls (/v1/outbox/wait, expect_none, expect_sequence) end once, however they end - an entry, their
// time-out, the client hanging up - and leave nothing behind in the emulator: no waiter, no timer, no listener. A
// test suite's workers register and drop such waits by the thousand.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { startEmulator, type RunningEmulator } from '../../src/index.js';
import { engineOf } from '../../src/core/start.js';
import type { Engine } from '../../src/core/engine.js';
import { getJson, postJson } from '../helpers.js';

let em: RunningEmulator;
let engine: Engine;
before(async () => {
  em = await startEmulator({ port: 0, appYaml: null, ui: false, xmpp: false });
  engine = engineOf(em);
});
after(() => em.close());

/** A request left open: its response (if it comes) and a way to hang up. */
function open(method: string, path: string, body?: unknown): { answer: Promise<{ status: number; text: string }>; hangUp(): void } {
  const req = http.request({ host: '127.0.0.1', port: em.port, method, path, headers: body ? { 'Content-Type': 'application/json' } : {} });
  const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', reject);
  });
  req.end(body ? JSON.stringify(body) : undefined);
  return { answer, hangUp: () => req.destroy() };
}

/** Until the emulator holds exactly `waits` pending waits and `spans` timers. */
async function holding(waits: number, spans: number): Promise<void> {
  // Bounded, so a regression fails the test with what is left instead of spinning the file forever.
  const until = performance.now() + 30_000;
  while (engine.outboxStore.waiting !== waits || engine.timers.size !== spans) {
    if (performance.now() > until) assert.fail(`still ${engine.outboxStore.waiting} waits and ${engine.timers.size} timers; expected ${waits} and ${spans}`);
    await new Promise((r) => setImmediate(r));
  }
}

test('long-polls whose clients hang up leave no waiter and no timer; the one still open gets its entry', { timeout: 60_000 }, async () => {
  const dropped = Array.from({ length: 40 }, (_, i) => open('GET', `/v1/outbox/wait?to=nobody${i}@example.com&timeout_ms=600000`));
  dropped.push(open('GET', '/v1/outbox/expect_none?to=nobody@example.com&timeout_ms=600000'));
  dropped.push(open('POST', '/v1/outbox/expect_sequence', { steps: [{ to: 'nobody@example.com' }], timeout_ms: 600_000 }));
  dropped.forEach((d) => d.answer.catch(() => undefined));
  const kept = open('GET', '/v1/outbox/wait?to=bob@example.com&timeout_ms=600000');
  // 43 waits; each has a timer (expect_sequence's is its deadline: the wait under it has none of its own).
  await holding(43, 43);
  dropped.forEach((d) => d.hangUp());
  await holding(1, 1);
  assert.equal((await postJson(em.url, '/v1/xmpp/send_message', { jids: 'bob@example.com', body: 'for bob' })).status, 200);
  const got = await kept.answer;
  assert.equal(got.status, 200);
  assert.equal((JSON.parse(got.text) as { entry: { body: string } }).entry.body, 'for bob');
  await holding(0, 0);
});

test('a long-poll that times out answers 408 TIMEOUT naming its filter and window, and keeps nothing', { timeout: 60_000 }, async () => {
  const { status, body } = await getJson(em.url, '/v1/outbox/wait?to=carol@example.com&timeout_ms=30');
  assert.equal(status, 408);
  assert.equal(body.error.code, 'TIMEOUT');
  assert.match(body.error.message, /^no outbox entry matched \{to="carol@example\.com"\} within 30 ms$/);
  await holding(0, 0);
  // A bad filter is still refused before anything waits.
  const bad = await getJson(em.url, '/v1/outbox/wait?in_reply_to=&timeout_ms=600000');
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'BAD_REQUEST');
  await holding(0, 0);
});
