import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { test } from 'node:test';
import { attachPrinter, flushConsole } from '../../../src/console/printer.js';
import { complete, startRepl, type Repl } from '../../../src/console/repl.js';
import type { ControlPort } from '../../../src/control/port.js';
import type { EmulatorEvent } from '../../../src/core/events.js';

test('tab completion: commands after a dot, known JIDs after a JID command', () => {
  const jids = ['alice@example.com', 'albert@example.com', 'bob@example.com'];
  assert.deepEqual(complete('.pr', jids), [['.presence'], '.pr']);
  assert.deepEqual(complete('.from al', jids), [['albert@example.com', 'alice@example.com'], 'al']);
  assert.deepEqual(complete('.to b', jids), [['bob@example.com'], 'b']);
  assert.deepEqual(complete('.inject s', jids), [['subscription'], 's']);
  assert.deepEqual(complete('hello', jids), [[], 'hello']);
});

test("start's wiring: what the REPL prints while console lines are gathered comes after them, as it happened", async () => {
  const screen = new PassThrough();
  let text = '';
  screen.on('data', (c: Buffer) => (text += c.toString('utf8')));
  const shown = (s: string): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => void (text.includes(s) && (screen.off('data', check), resolve()));
      screen.on('data', check);
      check();
    });
  // As `start` wires them: console lines go through the REPL, and the REPL writes the gathered ones first.
  let repl: Repl | null = null;
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      repl!.print(String(chunk).replace(/\n$/, ''));
      cb();
    },
  });
  let listener: (e: EmulatorEvent) => void = () => undefined;
  const stop = attachPrinter((l) => ((listener = l), () => undefined), out, { json: false, style: 'lines', color: false, width: 200 });
  const input = new PassThrough();
  repl = startRepl({
    control: {} as ControlPort,
    events: () => () => undefined,
    input,
    output: screen,
    appJid: 'app@appspot.com',
    historyFile: null,
    console: true,
    beforeOutput: () => flushConsole(out),
    color: false,
    terminal: false,
  });
  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  const cleared = (count: number): EmulatorEvent => ({ type: 'outbox.cleared', count, seq: count, time: '2026-11-24T13:00:00.000Z' }) as EmulatorEvent;
  listener(cleared(1));
  await turn();
  // Right after a write: this one is gathered, and the REPL's answer to `.to` must not overtake it.
  listener(cleared(2));
  await turn();
  input.write('.to\n');
  await shown('to: app@appspot.com');
  const at = (s: string): number => text.indexOf(s);
  assert.ok(at('cleared (1 entries)') >= 0 && at('cleared (2 entries)') >= 0, text);
  assert.ok(at('cleared (1 entries)') < at('cleared (2 entries)'), text);
  assert.ok(at('cleared (2 entries)') < at('to: app@appspot.com'), `the gathered line first:\n${text}`);
  repl.close();
  stop();
});
