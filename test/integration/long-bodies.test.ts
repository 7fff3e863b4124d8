// A long body sent as plain ASCII JSON is kept as bytes, off the V8 heap (core/body-bytes.ts). Every surface shows it
// exactly as it shows any other body: the outbox over HTTP and in-process, waits and their contains/matches filters,
// the --json and human consoles, the live feed and its replay. Long bodies that are not plain ASCII (an escape in the
// JSON, a character above U+007F) keep their string, and show the same. The outbox's byte bound holds either way.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { inspect } from 'node:util';
import WebSocket from 'ws';
import { bodyBytesOf, OFF_HEAP_BODY } from '../../src/core/body-bytes.js';
import { startEmulator, type RunningEmulator } from '../../src/index.js';
import { chalkFor, CONSOLE_WIDTH } from '../../src/console/printer.js';
import { formatLine } from '../../src/console/line.js';
import { getJson, postJson } from '../helpers.js';

const SEND = '/v1/xmpp/send_message';
const PLAIN = 'Someone has sent you a gift on <Example.com> & more. '.repeat(1000);

/** Each body, and whether it is kept as bytes. */
const BODIES: Array<[string, boolean]> = [
  [PLAIN, true],
  ['x'.repeat(OFF_HEAP_BODY), true],
  ['y'.repeat(OFF_HEAP_BODY - 1), false],
  [`${PLAIN}"quoted"`, false],
  [`${PLAIN}\\`, false],
  [`${PLAIN}\u0085é😀`, false],
];

function feed(em: RunningEmulator, query = ''): { texts: string[]; opened: Promise<void>; until(done: () => boolean): Promise<void>; close(): void } {
  const ws = new WebSocket(`${em.url.replace('http', 'ws')}/v1/events${query}`);
  const texts: string[] = [];
  let wake = (): void => {};
  ws.on('message', (d) => {
    texts.push(String(d));
    wake();
  });
  const opened = new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
  /** Resolves once `done()` holds, checked as each message arrives. */
  const until = async (done: () => boolean): Promise<void> => {
    while (!done()) await new Promise<void>((resolve) => (wake = resolve));
  };
  return { texts, opened, until, close: () => ws.close() };
}

test('every surface shows a long body exactly, kept as bytes or not', async () => {
  const stdout = new PassThrough();
  let printed = '';
  stdout.on('data', (d: Buffer) => (printed += d.toString('utf8')));
  const em = await startEmulator({ port: 0, appYaml: null, console: true, json: true, stdout });
  const live = feed(em);
  try {
    await live.opened;
    for (const [i, [body, kept]] of BODIES.entries()) {
      const to = `user${i}@example.com`;
      const middle = body.slice(2000, 2100);
      // Waits started before the send see the entry through their filters.
      const waits = [
        em.waitFor({ to, contains: middle, timeoutMs: 10_000 }),
        em.waitFor({ to, matches: new RegExp(middle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), timeoutMs: 10_000 }),
      ];
      const http = getJson(em.url, `/v1/outbox/wait?to=${encodeURIComponent(to)}&contains=${encodeURIComponent(middle)}&timeout_ms=10000`);
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal((await postJson(em.url, SEND, { jids: to, body })).status, 200);
      const [entry] = await em.outbox({ to });
      assert.equal(bodyBytesOf(entry!) !== undefined, kept, `body ${i} kept as bytes: ${kept}`);
      assert.equal(entry!.body, body);
      assert.equal(inspect(entry), inspect({ ...entry }));
      for (const w of await Promise.all(waits)) assert.equal(w, entry);
      assert.equal((await http).body.entry.body, body);
      const listed = (await getJson(em.url, `/v1/outbox?to=${encodeURIComponent(to)}`)).body.entries;
      assert.deepStrictEqual(listed, [JSON.parse(JSON.stringify(entry))]);
      assert.equal(listed[0].body, body);
      assert.equal((await getJson(em.url, `/v1/outbox?contains=${encodeURIComponent(middle)}&to=${encodeURIComponent(to)}`)).body.entries.length, 1);
      // The human line, from the entry the outbox keeps and from a plain copy of it.
      const event = { type: 'sent' as const, entry: entry!, seq: 1, time: entry!.time };
      assert.equal(formatLine(event, chalkFor(false), 120), formatLine({ ...event, entry: { ...entry! } }, chalkFor(false), 120));
    }
    await live.until(() => live.texts.filter((t) => t.includes('"type":"sent"')).length === BODIES.length);
    // The console gathers its lines under load (console/printer.ts): wait until they are written.
    while (printed.split('\n').filter((l) => l.includes('"type":"sent"')).length < BODIES.length) await new Promise((r) => stdout.once('data', r));
    const lines = printed.split('\n').filter((l) => l.includes('"type":"sent"'));
    const frames = live.texts.filter((t) => t.includes('"type":"sent"'));
    assert.equal(lines.length, BODIES.length);
    // The feed's frames and the console's lines are the same text: JSON.stringify of the event with the body as sent.
    assert.deepEqual(frames, lines);
    const entries = await em.outbox();
    lines.forEach((line, i) => {
      const event = JSON.parse(line);
      assert.equal(line, JSON.stringify(event));
      assert.equal(event.entry.body, BODIES[i]![0]);
      assert.equal(JSON.stringify(event.entry), JSON.stringify(entries[i]));
    });
    // A feed that reconnects gets them again from the history: the same texts, in a replay frame.
    const replay = feed(em, '?since=0');
    try {
      await replay.until(() => replay.texts.some((t) => t.startsWith('{"type":"replay"')));
      const frame = replay.texts.find((t) => t.startsWith('{"type":"replay"'))!;
      for (const line of lines) assert.ok(frame.includes(`${line},`) || frame.includes(`${line}]`), 'the replayed text is the line');
      assert.deepEqual(
        JSON.parse(frame).events.filter((e: { type: string }) => e.type === 'sent'),
        lines.map((l) => JSON.parse(l)),
      );
    } finally {
      replay.close();
    }
  } finally {
    live.close();
    await em.close();
  }
});

test('the human console cuts a kept body as any other', async () => {
  const stdout = new PassThrough();
  let printed = '';
  stdout.on('data', (d: Buffer) => (printed += d.toString('utf8')));
  const em = await startEmulator({ port: 0, appYaml: null, console: true, stdout, color: false });
  try {
    for (const [body] of BODIES) assert.equal((await postJson(em.url, SEND, { jids: 'alice@example.com', body })).status, 200);
    // The console gathers its lines under load (console/printer.ts): wait until they are written.
    while (printed.split('\n').filter((l) => l.includes('alice@example.com')).length < BODIES.length) await new Promise((r) => stdout.once('data', r));
    const entries = await em.outbox();
    const lines = printed.split('\n').filter((l) => l.includes('alice@example.com'));
    assert.equal(lines.length, BODIES.length);
    const width = CONSOLE_WIDTH;
    lines.forEach((line, i) => {
      const e = entries[i]!;
      const plain = { type: 'sent' as const, entry: { ...e }, seq: 1, time: e.time };
      // The line's clock is its event's time, which may be a millisecond after its entry's.
      assert.equal(line.slice(12), formatLine(plain, chalkFor(false), width).slice(12));
    });
  } finally {
    await em.close();
  }
});

test('the outbox stays within its byte bound with bodies kept as bytes', async () => {
  const maxBytes = 1024 * 1024;
  const em = await startEmulator({ port: 0, appYaml: null, outboxMaxBytes: maxBytes });
  try {
    for (let i = 0; i < 40; i++) assert.equal((await postJson(em.url, SEND, { jids: 'alice@example.com', body: `${i} ${PLAIN}` })).status, 200);
    const stats = (await getJson(em.url, '/v1/stats')).body.outbox;
    assert.ok(stats.bytes <= maxBytes, `${stats.bytes} <= ${maxBytes}`);
    assert.ok(stats.dropped > 0, 'the oldest were dropped');
    const kept = await em.outbox();
    assert.equal(kept.length, stats.size);
    // What the kept bodies really hold is within what the outbox counts.
    const held = kept.reduce((n, e) => n + bodyBytesOf(e)!.buffer.byteLength, 0);
    assert.ok(held > 0 && held <= stats.bytes, `${held} bytes of bodies held, ${stats.bytes} counted`);
    assert.deepEqual(
      kept.map((e) => e.body),
      Array.from({ length: stats.size }, (_, k) => `${40 - stats.size + k} ${PLAIN}`),
    );
  } finally {
    await em.close();
  }
});
