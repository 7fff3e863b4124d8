// The JSON of an event is JSON.stringify's text, byte for byte, whatever the body holds; long plain bodies are only
// put in more cheaply.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { eventJson, markPlainBody, rememberedJson, utf8Bytes, utf8Encoding } from '../../../src/core/event-json.js';
import type { EmulatorEvent, OutboxEntry } from '../../../src/core/events.js';
import { attachPrinter } from '../../../src/console/printer.js';

const sent = (entry: Partial<OutboxEntry>, extra: Record<string, unknown> = {}): EmulatorEvent =>
  ({
    type: 'sent',
    entry: {
      id: 7,
      time: '2026-11-24T07:00:00.000Z',
      kind: 'message',
      from: 'app@appspot.com/"body":""',
      to: ['alice@example.com', 'x"body":""@example.com'],
      body: 'hi',
      type: 'chat',
      raw_xml: false,
      statuses: [0, 1],
      version: null,
      protocol: 'json',
      in_reply_to: null,
      ...entry,
    },
    ...extra,
    seq: 3,
    time: '2026-11-24T07:00:00.000Z',
  }) as unknown as EmulatorEvent;

test('eventJson is JSON.stringify, for long and short bodies, whatever they hold and wherever', () => {
  const specials = ['"', '\\', '\n', '\r', '\t', '\u0000', '\u001f', '\u007f', '\u2028', '\ud800', '\udfff', '😀', 'é', '"body":""', '<&>'];
  let checked = 0;
  for (const length of [0, 10, 1023, 1024, 1025, 50_000]) {
    for (const special of [...specials, '']) {
      for (const at of [0, Math.floor(length / 2), length]) {
        const body = `${'a'.repeat(at)}${special}${'b'.repeat(Math.max(0, length - at))}`;
        for (const extra of [{}, { namespace: 'ns-1' }]) {
          const e = sent({ body }, extra);
          assert.equal(eventJson(e), JSON.stringify(e), JSON.stringify({ length, special, at, extra }));
          checked++;
        }
      }
    }
  }
  assert.ok(checked > 500);
  for (const e of [
    sent({ body: undefined, kind: 'invite' }),
    sent({ body: 'x'.repeat(5000), raw_xml: true, in_reply_to: 'd-1' }),
    { type: 'config', source: 'presence', ok: true, message: 'x'.repeat(5000), seq: 1, time: 't' } as EmulatorEvent,
  ]) {
    assert.equal(eventJson(e), JSON.stringify(e));
  }
});

test('a long plain body is put in as it is: the stringifier never walks it', () => {
  const body = 'Someone has sent you a gift on <Example.com> & more. '.repeat(1000);
  const e = sent({ body });
  const original = JSON.stringify;
  const seen: unknown[] = [];
  JSON.stringify = ((...a: Parameters<typeof original>) => (seen.push(a[0]), original(...a))) as typeof original;
  let text: string;
  try {
    text = eventJson(e);
  } finally {
    JSON.stringify = original;
  }
  assert.equal(text, JSON.stringify(e));
  assert.equal(seen.length, 1);
  assert.equal((seen[0] as { entry: OutboxEntry }).entry.body, '', 'the body was left out of the stringified copy');
  assert.equal((e as { entry: OutboxEntry }).entry.body, body, 'the event itself is untouched');
});

test('utf8Bytes and the printer write the UTF-8 bytes, ASCII or not', async () => {
  for (const text of ['plain ascii {"a":1}\n', 'é → 😀\n', '\ud800 lone', '\u007f\u0080', '']) {
    assert.deepEqual(utf8Bytes(text), Buffer.from(text, 'utf8'), text);
    assert.equal(utf8Encoding(text), [...text].every((c) => c.charCodeAt(0) < 0x80) ? 'latin1' : 'utf8');
  }
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const listeners: Array<(e: EmulatorEvent) => void> = [];
  const stop = attachPrinter((l) => (listeners.push(l), () => undefined), out, { json: true, style: 'lines', color: false, width: 80 });
  const events = [sent({ body: 'x'.repeat(3000) }), sent({ body: `é😀${'y'.repeat(3000)}` }), sent({ body: 'short' })];
  for (const e of events) listeners.forEach((l) => l(e));
  // Lines are written in batches of at most 64 KB (one longer line alone), in order.
  const many = Array.from({ length: 40 }, (_, i) => sent({ id: i, body: `${i}:${'z'.repeat((i * 7919) % 70_000)}` }));
  await new Promise((resolve) => setImmediate(resolve));
  const before = chunks.length;
  for (const e of many) listeners.forEach((l) => l(e));
  // (gathered after the write above, or over 1 MB and written at the turn's end: stop writes whatever is left)
  await new Promise((resolve) => setImmediate(resolve));
  stop();
  const batches = chunks.slice(before);
  assert.ok(batches.length > 1 && batches.length < many.length, `${batches.length} writes`);
  for (const b of batches) assert.ok(b.length <= 64 * 1024 || b.toString().split('\n').length === 2, `${b.length} bytes`);
  assert.equal(Buffer.concat(chunks).toString('utf8'), [...events, ...many].map((e) => `${JSON.stringify(e)}\n`).join(''));
});

test('a body marked plain (read as plain ASCII text) is put in without a search; others are searched', () => {
  const body = 'Someone has sent you a gift on <Example.com> & more. '.repeat(1000);
  const searched = (e: EmulatorEvent): number => {
    const original = String.prototype.includes;
    let calls = 0;
    String.prototype.includes = function (this: string, ...a: Parameters<typeof original>) {
      if (this.length === body.length) calls++;
      return original.apply(this, a);
    };
    try {
      assert.equal(eventJson(e), JSON.stringify(e));
    } finally {
      String.prototype.includes = original;
    }
    return calls;
  };
  const unmarked = sent({ body });
  assert.ok(searched(unmarked) > 30);
  const marked = sent({ body });
  markPlainBody((marked as { entry: OutboxEntry }).entry);
  assert.equal(searched(marked), 0);
});

test('the feed and, later in the turn, the console asking for the same events get one serialisation each', () => {
  const a = sent({ body: 'first' });
  const b = sent({ body: 'second' });
  const original = JSON.stringify;
  let calls = 0;
  JSON.stringify = ((...x: Parameters<typeof original>) => (calls++, original(...x))) as typeof original;
  const texts: string[] = [];
  try {
    texts.push(eventJson(a), eventJson(a), eventJson(b), eventJson(a));
    (a as { seq: number }).seq = 99;
    texts.push(eventJson(a));
  } finally {
    JSON.stringify = original;
  }
  assert.equal(calls, 3, 'a, b, and a once stamped anew');
  assert.deepEqual(
    texts.map((t) => JSON.parse(t).entry.body),
    ['first', 'first', 'second', 'first', 'first'],
  );
  assert.equal(JSON.parse(texts[4]!).seq, 99);
});

test('only the latest events are remembered: an old one is serialised again', () => {
  const first = sent({ body: 'first' });
  eventJson(first);
  for (let i = 0; i < 300; i++) eventJson(sent({ id: i, body: `n${i}` }));
  const original = JSON.stringify;
  let calls = 0;
  JSON.stringify = ((...x: Parameters<typeof original>) => (calls++, original(...x))) as typeof original;
  try {
    assert.equal(JSON.parse(eventJson(first)).entry.body, 'first');
  } finally {
    JSON.stringify = original;
  }
  assert.equal(calls, 1);
});

test('what is remembered is bounded in characters, not only in events: long texts push old ones out, a huge one is not kept', () => {
  const body = 'x'.repeat(100_000);
  for (let i = 0; i < 300; i++) eventJson(sent({ id: i, body }));
  const { events, chars } = rememberedJson();
  assert.ok(chars <= 1 << 20, `${chars} characters remembered`);
  assert.ok(events >= 1 && events <= 11, `${events} events of ~100 KB remembered`);
  // A send to many recipients is a long text: serialised, right, and not kept.
  const to = Array.from({ length: 20_000 }, (_, i) => `user${i}@example.com`);
  const huge = sent({ to, statuses: to.map(() => 0) });
  const before = rememberedJson().chars;
  assert.equal(eventJson(huge), JSON.stringify(huge));
  assert.equal(rememberedJson().chars, before);
});
