import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import type { EmulatorEvent } from '../../../src/core/events.js';
import { attachPrinter, chalkFor, consoleFormatter, formatEvent, type ConsoleFormat } from '../../../src/console/printer.js';

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
