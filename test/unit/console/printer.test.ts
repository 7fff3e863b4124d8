import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { test } from 'node:test';
import type { EmulatorEvent } from '../../../src/core/events.js';
import { attachPrinter, chalkFor, consoleFormatter, flushConsole, formatEvent, type ConsoleFormat } from '../../../src/console/printer.js';

test('the human console shows a refused call on one line with its call, protocol, code and reason', () => {
  const line = formatEvent(
    { type: 'rejected', call: 'send_message', protocol: 'json', code: 'NO_BODY', message: 'body is missing', request: { jids: 'a@b.c' }, seq: 1, time: '' },
    chalkFor(false),
  );
  assert.equal(line, '✗ refused send_message (json): NO_BODY body is missing');
});

test("the printer builds no line in the emitter's turn: after it, the lines the formatter gives, in order; a reply held for its delivery is printed on stop", async () => {
  const time = '2026-11-24T13:00:00.000Z';
  let read = 0;
  const delivered = (id: string, seq: number): EmulatorEvent => {
    const result = {
      id,
      kind: 'message',
      type: 'chat',
      from: 'alice@example.com',
      to: 'app@appspot.com',
      path: '/_ah/xmpp/message/chat/',
      version: null,
      url: 'http://127.0.0.1:1/_ah/xmpp/message/chat/',
      delivered: true,
      status: 200,
      duration_ms: 1,
    };
    // Counts each time a line is built from it.
    Object.defineProperty(result, 'body', { enumerable: true, get: () => (read++, 'hi') });
    return { type: 'delivered', result, seq, time } as EmulatorEvent;
  };
  const sent = (inReplyTo: string, seq: number): EmulatorEvent =>
    ({
      type: 'sent',
      entry: {
        id: seq,
        time,
        kind: 'message',
        from: 'app@appspot.com',
        to: ['alice@example.com'],
        body: `reply ${seq}`,
        type: 'chat',
        statuses: [0],
        version: null,
        protocol: 'json',
        in_reply_to: inReplyTo,
      },
      seq,
      time,
    }) as EmulatorEvent;
  for (const f of [
    { json: true, style: 'lines', color: false, width: 80 },
    { json: false, style: 'lines', color: false, width: 80 },
    { json: false, style: 'devserver', color: false, width: 80 },
  ] as ConsoleFormat[]) {
    // A reply before its delivery's line (held for it), the delivery, a reply to a delivery that never ends.
    // Fresh objects for the printer: the JSON of an event just serialised is remembered (core/event-json.ts).
    const make = (): EmulatorEvent[] => [sent('d1', 1), delivered('d1', 2), sent('d9', 3), { type: 'outbox.cleared', count: 2, seq: 4, time } as EmulatorEvent];
    const events = make();
    const reference = consoleFormatter(f);
    read = 0;
    const lines = make()
      .map((e) => reference.format(e))
      .join('');
    const held = reference.drain();
    const built = read;
    assert.ok(built > 0);
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString('utf8')));
    let listener: (e: EmulatorEvent) => void = () => undefined;
    const stop = attachPrinter((l) => ((listener = l), () => undefined), out, f);
    read = 0;
    for (const e of events) listener(e);
    assert.equal(read, 0, `${f.style}: no line built while the events are heard`);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(read, built, `${f.style}: each line built once, after the turn`);
    assert.equal(text, lines, f.style);
    stop();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(text, lines + held, `${f.style}: held replies printed on stop`);
  }
});

test('console lines gather under load: the first after a quiet spell at the end of its turn, later ones together after 16 ms, in order; flushConsole, stop and a flood of long lines write at once', async () => {
  const time = '2026-11-24T13:00:00.000Z';
  const cleared = (seq: number, pad = 0): EmulatorEvent =>
    ({ type: 'outbox.cleared', count: seq, seq, time, ...(pad ? { namespace: 'x'.repeat(pad) } : {}) }) as EmulatorEvent;
  const line = (e: EmulatorEvent): string => `${JSON.stringify(e)}\n`;
  const writes: Array<{ text: string; at: number }> = [];
  let written: () => void = () => undefined;
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      writes.push({ text: chunk.toString('utf8'), at: performance.now() });
      written();
      cb();
    },
  });
  const nextWrite = (): Promise<void> => new Promise((resolve) => (written = resolve));
  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  let listener: (e: EmulatorEvent) => void = () => undefined;
  const stop = attachPrinter((l) => ((listener = l), () => undefined), out, { json: true, style: 'lines', color: false, width: 80 });

  listener(cleared(1));
  assert.equal(writes.length, 0, 'nothing is written in the emitter’s turn');
  await turn();
  assert.deepEqual(
    writes.map((w) => w.text),
    [line(cleared(1))],
    'after a quiet spell, at the end of the turn',
  );

  // Right after a write, lines of several turns gather into one write GATHER_MS after the last.
  const coming = nextWrite();
  listener(cleared(2));
  await turn();
  listener(cleared(3));
  await turn();
  if (performance.now() - writes[0]!.at < 15) assert.equal(writes.length, 1, 'held while the last write is recent');
  await coming;
  assert.equal(writes.length, 2);
  assert.equal(writes[1]!.text, line(cleared(2)) + line(cleared(3)), 'two turns’ lines in one write, in order');
  assert.ok(writes[1]!.at - writes[0]!.at >= 14, `${(writes[1]!.at - writes[0]!.at).toFixed(1)} ms after the last write`);

  // flushConsole writes what is gathered (and what is not yet formatted) at once.
  const mark = writes.length;
  listener(cleared(4));
  await turn();
  listener(cleared(5));
  flushConsole(out);
  assert.equal(
    writes
      .slice(mark)
      .map((w) => w.text)
      .join(''),
    line(cleared(4)) + line(cleared(5)),
  );

  // Past 1 MB gathered, the turn's lines go at once (in writes of at most 64 KB), however recent the last write.
  const flood = Array.from({ length: 40 }, (_, i) => cleared(10 + i, 30_000));
  const before = writes.length;
  for (const e of flood) listener(e);
  await turn();
  const batches = writes.slice(before);
  assert.ok(batches.length > 1, `${batches.length} writes`);
  assert.ok(batches.every((b) => b.text.length <= 64 * 1024));
  assert.equal(batches.map((b) => b.text).join(''), flood.map(line).join(''));

  // stop writes what is gathered, synchronously.
  listener(cleared(99));
  await turn();
  stop();
  assert.equal(writes.at(-1)!.text, line(cleared(99)));
  assert.equal(
    writes.map((w) => w.text).join(''),
    [1, 2, 3, 4, 5].map((n) => line(cleared(n))).join('') + flood.map(line).join('') + line(cleared(99)),
    'every line once, in order',
  );
});
