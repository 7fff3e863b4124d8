import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import type { EmulatorEvent } from '../../../src/core/events.js';
import { FeedBroadcast, type FeedClient } from '../../../src/http/feed-broadcast.js';

/** A client whose socket never drains: everything written stays counted as unread. */
function stuckClient(): FeedClient & { writes: Buffer[]; cut: boolean } {
  const socket = {
    writable: true,
    writableLength: 0,
    write(b: Buffer) {
      this.writableLength += b.length;
      c.writes.push(b);
      return true;
    },
  };
  const c = { socket: socket as unknown as Socket, writes: [] as Buffer[], cut: false, terminate: () => void (c.cut = true) };
  return c;
}

const event = (seq: number, body = 'hi'): EmulatorEvent => ({ type: 'config', source: 'presence', ok: true, message: body, seq, time: 't' }) as EmulatorEvent;

/** The payloads of the text frames in `b`. */
function frames(b: Buffer): string[] {
  const out: string[] = [];
  for (let i = 0; i < b.length;) {
    assert.equal(b[i], 0x81);
    let len = b[i + 1]!;
    let at = i + 2;
    if (len === 126) [len, at] = [b.readUInt16BE(i + 2), i + 4];
    else if (len === 127) [len, at] = [Number(b.readBigUInt64BE(i + 2)), i + 10];
    out.push(b.subarray(at, at + len).toString());
    i = at + len;
  }
  return out;
}

test('each event is serialised once and every client gets the same frames, in order, in one write', () => {
  const b = new FeedBroadcast();
  const clients = [stuckClient(), stuckClient(), stuckClient()];
  clients.forEach((c) => b.add(c));
  const original = JSON.stringify;
  let calls = 0;
  JSON.stringify = ((...a: Parameters<typeof original>) => (calls++, original(...a))) as typeof original;
  try {
    for (let i = 1; i <= 3; i++) b.publish(event(i, 'x'.repeat(i * 100)));
    b.publish(event(4, 'y'.repeat(70_000)));
  } finally {
    JSON.stringify = original;
  }
  assert.equal(calls, 4);
  b.flush();
  for (const c of clients) {
    assert.equal(c.writes.length, 1);
    assert.equal(c.writes[0], clients[0]!.writes[0], 'one buffer shared by all');
    assert.deepEqual(
      frames(c.writes[0]!).map((f) => JSON.parse(f).seq),
      [1, 2, 3, 4],
    );
  }
  b.close();
});

test('a client that does not read is cut off at its limit; together they are bounded too', () => {
  const b = new FeedBroadcast({ maxClients: 3, maxClientBytes: 10_000, maxTotalBytes: 9_000 });
  const [slow, behind, fast] = [stuckClient(), stuckClient(), stuckClient()];
  for (const c of [slow, behind, fast]) b.add(c);
  assert.equal(b.full, true);
  (fast.socket as unknown as { write(b: Buffer): boolean }).write = () => true; // reads everything at once
  (behind.socket as { writableLength: number }).writableLength = 2_000;
  const step = (seq: number): boolean[] => {
    b.publish(event(seq, 'z'.repeat(4_000)));
    b.flush();
    return [slow.cut, behind.cut, fast.cut];
  };
  // About 4 KB + 6 KB unread together pass 9 KB: the one furthest behind goes, though under its own limit.
  assert.deepEqual(step(1), [false, true, false]);
  assert.deepEqual(step(2), [false, true, false]);
  // 12 KB unread passes one client's 10 KB.
  assert.deepEqual(step(3), [true, true, false]);
  assert.deepEqual([...b.clients], [fast]);
  assert.equal(b.full, false);
});

test('a client of one namespace gets only its events; an event nobody follows is not serialised; each group is joined once', () => {
  const b = new FeedBroadcast();
  const [every, a1, a2, other] = [stuckClient(), stuckClient(), stuckClient(), stuckClient()];
  b.add(every);
  b.add(Object.assign(a1, { namespace: 'a' }));
  b.add(Object.assign(a2, { namespace: 'a' }));
  b.add(Object.assign(other, { namespace: 'default' }));
  const inNs = (seq: number, namespace?: string): EmulatorEvent => ({ ...event(seq), ...(namespace ? { namespace } : {}) }) as EmulatorEvent;
  b.publish(inNs(1, 'a'));
  b.publish(inNs(2, 'b'));
  b.publish(inNs(3));
  b.publish(inNs(4, 'a'));
  b.flush();
  const seqs = (c: { writes: Buffer[] }) => c.writes.flatMap((w) => frames(w)).map((f) => JSON.parse(f).seq as number);
  assert.deepEqual(seqs(every), [1, 2, 3, 4]);
  assert.deepEqual(seqs(a1), [1, 4]);
  assert.equal(a1.writes[0], a2.writes[0], "one buffer shared by a namespace's clients");
  assert.deepEqual(seqs(other), [3], 'the default namespace: the events without a namespace');
  b.remove(every);
  const original = JSON.stringify;
  let calls = 0;
  JSON.stringify = ((...x: Parameters<typeof original>) => (calls++, original(...x))) as typeof original;
  try {
    b.publish(inNs(5, 'b'));
  } finally {
    JSON.stringify = original;
  }
  assert.equal(calls, 0, 'nobody follows b any more');
  b.close();
});

test('an empty flush (a client connecting) does not hold the next event; a flush that wrote does, for one frame', () => {
  const b = new FeedBroadcast();
  b.add(stuckClient());
  const delays: number[] = [];
  const original = globalThis.setTimeout;
  globalThis.setTimeout = ((fn: () => void, ms?: number) => (delays.push(ms ?? 0), original(fn, 1_000_000).unref())) as typeof setTimeout;
  try {
    b.flush(); // what a client's connection does before its hello
    b.publish(event(1));
    b.flush();
    b.publish(event(2));
  } finally {
    globalThis.setTimeout = original;
  }
  assert.equal(delays[0], 0, 'the first event after the empty flush goes out at once');
  assert.ok(delays[1]! > 0, 'right after a flush that wrote, frames gather');
  b.close();
});
