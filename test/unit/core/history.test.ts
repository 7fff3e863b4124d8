import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EmulatorEvent } from '../../../src/core/events.js';
import { approxBytes, EventHistory } from '../../../src/core/history.js';

const config = (seq: number, message: string): EmulatorEvent => ({ type: 'config', source: 'presence', ok: true, message, seq, time: 't' }) as EmulatorEvent;

test('keeping an event serialises nothing; a replay gives the JSON of what was kept after a seq', () => {
  const h = new EventHistory(100, 1_000_000);
  const original = JSON.stringify;
  let calls = 0;
  JSON.stringify = ((...a: Parameters<typeof original>) => (calls++, original(...a))) as typeof original;
  try {
    for (let i = 1; i <= 10; i++) h.add(config(i, `m${i}`));
  } finally {
    JSON.stringify = original;
  }
  assert.equal(calls, 0);
  assert.deepEqual(
    h.after(7).map((j) => JSON.parse(j).seq),
    [8, 9, 10],
  );
  assert.equal(h.firstSeq, 1);
  assert.equal(h.lastSeq, 10);
});

test('the history is bounded in bytes, by an estimate that counts the text it holds', () => {
  const big = 'x'.repeat(100_000);
  assert.ok(approxBytes(config(1, big)) >= 200_000);
  const h = new EventHistory(1000, 1_000_000);
  for (let i = 1; i <= 50; i++) h.add(config(i, big));
  assert.ok(h.after(0).length <= 5, `${h.after(0).length} kept`);
  assert.equal(h.lastSeq, 50);
});

test('bytes an event carries (an /rpc_http call request) count as their length, not element by element', () => {
  const wire = Buffer.alloc(100_000, 7);
  const n = approxBytes({ type: 'call', request: wire, answer: { statuses: [0] } });
  assert.ok(n >= 100_000 && n < 101_000, `${n}`);
  assert.ok(approxBytes(new Uint8Array(10)) < 100);
});

test("an event is sized after the turn it was kept in (not in its emitter's), or at once when the history is read", async () => {
  let walked = 0;
  const counted = (seq: number): EmulatorEvent => {
    const e = config(seq, 'm');
    Object.defineProperty(e, 'message', { enumerable: true, get: () => (walked++, 'm') });
    return e;
  };
  const h = new EventHistory(100, 1_000_000);
  h.add(counted(1));
  h.add(counted(2));
  assert.equal(walked, 0, 'add() walks nothing');
  await new Promise((r) => setImmediate(r));
  assert.equal(walked, 2, 'both sized once the turn is over');
  h.add(counted(3));
  assert.equal(h.firstSeq, 1);
  assert.equal(walked, 3, 'a read sizes what is pending first');
  await new Promise((r) => setImmediate(r));
  assert.equal(walked, 3, 'and nothing twice');
});

test('the count bound holds after the turn, and past 64 unsized events they are sized in the same turn', async () => {
  const h = new EventHistory(10, 1_000_000);
  for (let i = 1; i <= 30; i++) h.add(config(i, `m${i}`));
  await new Promise((r) => setImmediate(r));
  assert.equal(h.firstSeq, 21);
  let walked = 0;
  const b = new EventHistory(1_000, 1_000_000);
  for (let i = 1; i <= 65; i++) {
    const e = config(i, 'm');
    Object.defineProperty(e, 'message', { enumerable: true, get: () => (walked++, 'm') });
    b.add(e);
  }
  assert.equal(walked, 65, 'no read, no turn: sized anyway, so the byte bound is never far off');
});
