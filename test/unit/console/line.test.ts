// The default console: one line per event, replies indented under the delivery that caused them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeliveryResult, EmulatorEvent, OutboxEntry } from '../../../src/core/events.js';
import { clock, fit, formatLine } from '../../../src/console/line.js';
import { chalkFor, consoleFormatter } from '../../../src/console/printer.js';

const plain = chalkFor(false);
const time = '2026-11-24T07:00:00.000Z';
let seq = 0;
const ev = (body: Record<string, unknown>): EmulatorEvent => ({ ...body, seq: ++seq, time }) as unknown as EmulatorEvent;
const delivery = (over: Partial<DeliveryResult> = {}): EmulatorEvent =>
  ev({
    type: 'delivered',
    result: {
      kind: 'message',
      type: 'chat',
      from: 'alice@example.com',
      to: 'app@appspot.com',
      path: '/_ah/xmpp/message/chat/',
      url: 'http://127.0.0.1:1/_ah/xmpp/message/chat/',
      version: null,
      delivered: true,
      status: 200,
      duration_ms: 3.21,
      body: 'hello',
      ...over,
    },
  });
const sent = (over: Partial<OutboxEntry> = {}): EmulatorEvent =>
  ev({
    type: 'sent',
    entry: {
      id: 1,
      time,
      kind: 'message',
      from: 'app@appspot.com/bot',
      to: ['alice@example.com'],
      body: 'Greetings!',
      type: 'chat',
      statuses: [0],
      version: null,
      ...over,
    },
  });

test('a delivery and a reply each read as one line: direction, kind, addresses, status, quoted body', () => {
  const d = formatLine(delivery(), plain, 200);
  assert.doesNotMatch(d, /\n/);
  assert.match(d, /^\d\d:\d\d:\d\d\.\d{3}  user → app  message\s+alice@example\.com → app@appspot\.com  200 3\.2 ms  "hello"$/);
  const r = formatLine(sent(), plain, 200);
  assert.match(r, /app → user  message\s+app@appspot\.com\/bot → alice@example\.com  sent  "Greetings!"$/);
  assert.match(
    formatLine(delivery({ delivered: false, status: 500, reason: 'the app answered HTTP 500' }), plain, 200),
    /not delivered: the app answered HTTP 500/,
  );
});

test('a refused call is one red line with its code, message and request', () => {
  const e = ev({
    type: 'rejected',
    call: 'send_message',
    protocol: 'json',
    code: 'INVALID_JID',
    message: 'jids "nope" is not a valid JID',
    request: { jids: 'nope', body: 'x' },
  });
  assert.match(formatLine(e, plain, 200), /app → ✗ +send_message  INVALID_JID: jids "nope" is not a valid JID  \{"jids":"nope","body":"x"\}$/);
  const red = formatLine(e, chalkFor(true), 200);
  assert.ok(red.startsWith('\u001b[31m'), JSON.stringify(red));
});

test('only the body is cut, to the width, and line breaks in it cannot break the line', () => {
  const line = formatLine(delivery({ body: `two\nlines ${'x'.repeat(300)}` }), plain, 120);
  assert.equal([...line].length, 120);
  assert.ok(line.endsWith('…'));
  assert.match(line, /"two⏎lines x/);
  // A long status leaves the body its few columns all the same.
  const narrow = formatLine(delivery({ body: 'x'.repeat(300) }), plain, 40);
  assert.match(narrow, / {2}"x{22}…$/);
  assert.equal(fit('abcdef', 0, 6), 'abcdef');
  assert.equal(fit('abcdef', 0, 5), 'abcd…');
});

test('a reply waits for its cause and is printed indented under it; a late reply is indented at once', () => {
  const f = consoleFormatter({ json: false, style: 'lines', color: false, width: 200 });
  assert.equal(f.format(sent({ in_reply_to: 'd1' })), '', 'held until the delivery that caused it is printed');
  const out = f
    .format(delivery({ id: 'd1' }))
    .split('\n')
    .filter(Boolean);
  assert.equal(out.length, 2);
  assert.match(out[0]!, /user → app/);
  assert.match(out[1]!, /^\S+ +↳ app → user/);
  assert.match(f.format(sent({ in_reply_to: 'd1', body: 'later' })), /↳ app → user.*"later"/);
  assert.match(f.format(sent({ in_reply_to: null })), /^\S+  app → user/);
  assert.equal(f.format(sent({ in_reply_to: 'd2' })), '');
  assert.match(f.drain(), /"Greetings!"/, 'nothing held is lost on the way out');
});

test('--console devserver keeps the old dev server block; --json one object per line', () => {
  const dev = consoleFormatter({ json: false, style: 'devserver', color: false, width: 80 }).format(sent());
  assert.match(dev, /^Sending an XMPP Message:\n    From:\n       app@appspot\.com\/bot\n    Body:\n       Greetings!/);
  const json = consoleFormatter({ json: true, style: 'lines', color: false, width: 80 }).format(sent());
  assert.equal(JSON.parse(json).entry.body, 'Greetings!');
});

test('a long body is cut to the width with an ellipsis, whatever its length or its characters', () => {
  for (const body of ['x'.repeat(100_000), '😀'.repeat(50_000), '\u0001'.repeat(90_000), 'short']) {
    const line = formatLine(sent({ body }), plain, 120);
    assert.ok([...line].length <= 120, `${[...line].length} columns`);
    assert.equal(line.endsWith('…'), body !== 'short', line.slice(-20));
  }
});

test("an invitation is one line (the app's invite), not a presence line besides", () => {
  const f = consoleFormatter({ json: false, style: 'lines', color: false, width: 200 });
  assert.equal(
    f.format(ev({ type: 'presence', jid: 'carol@example.com', presence: { available: true, show: '', status: '' }, subscribed: false, source: 'invite' })),
    '',
  );
  assert.match(
    f.format(sent({ kind: 'invite', to: ['carol@example.com'], body: undefined })),
    /app → user  invite\s+app@appspot\.com\/bot → carol@example\.com  sent\n$/,
  );
});

// What a body looks like on its line, written the plain way: the whole body quoted and flattened, then cut by code
// points. formatLine only flattens the part that can show; this pins that the line is the same, character for
// character, wherever the cut falls (in a line break, a control character, an astral character, a lone surrogate).
function shownRef(body: string, room: number): string {
  const flatBody = `"${body}"`
    .replace(/\r?\n/g, '⏎')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const chars = [...flatBody];
  return chars.length <= room ? flatBody : `${chars.slice(0, room - 1).join('')}…`;
}

test('the body shown is the whole body quoted, flattened and cut, wherever the cut falls', () => {
  const pieces = ['x', '\r\n', '\n', '\r', '\u0001', '\u007f', '\u2028', '😀', '\ud800', '\udc00', 'é', ' '];
  let checked = 0;
  for (const width of [40, 120, 160]) {
    for (const color of [false, true]) {
      const c = chalkFor(color);
      // eslint-disable-next-line no-control-regex
      const head = formatLine(sent({ body: 'x' }), c, width).replace(/ {2}"x"(\u001b\[\d+m)*$/, '');
      // eslint-disable-next-line no-control-regex
      const used = [...head.replace(/\u001b\[[0-9;]*m/g, '')].length + 2;
      // A narrow line still leaves the body 24 columns.
      const room = Math.max(width, used + 24) - used;
      for (const piece of pieces) {
        // The piece at every position around the cut, in bodies just under, at and over the room, and very long.
        for (let at = room - 8; at <= room + 2; at++) {
          for (const tail of [0, 1, 2, 5, 100_000]) {
            const body = `${'y'.repeat(Math.max(0, at))}${piece}${piece}${'z'.repeat(tail)}`;
            const line = formatLine(sent({ body }), c, width);
            const expected = `${head}  ${shownRef(body, room)}`;
            assert.equal(line, expected, JSON.stringify({ width, color, piece, at, tail }));
            checked++;
          }
        }
      }
      assert.equal(formatLine(sent({ body: '' }), c, width), `${head}  ""`);
    }
  }
  assert.ok(checked > 1000);
  // A delivered message's body the same way.
  const d = formatLine(delivery({ body: `${'😀'.repeat(200)}\r\n` }), plain, 120);
  const dHead = formatLine(delivery({ body: '' }), plain, 120).slice(0, -4);
  assert.equal(d, `${dHead}  ${shownRef(`${'😀'.repeat(200)}\r\n`, 120 - [...dHead].length - 2)}`);
  assert.equal([...d].length, 120);
});

test('clock() is the local time of the instant, to the millisecond, in any ISO form', () => {
  const ref = (iso: string): string => {
    const d = new Date(iso);
    const two = (n: number): string => String(n).padStart(2, '0');
    return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
  };
  const isos = [
    '2026-11-24T07:00:00.000Z',
    '2026-11-24T07:00:00.999Z',
    '2026-11-24T07:00:01.005Z',
    '2026-11-24T07:00:00.500Z',
    '2026-03-29T00:59:59.999Z',
    '2026-03-29T01:00:00.000Z',
    '1970-01-01T00:00:00.000Z',
    '+010000-01-01T00:00:00.250Z',
    '2026-11-24T07:00:00Z',
    '2026-11-24T08:00:00.123+01:00',
  ];
  for (const iso of [...isos, ...isos.reverse()]) assert.equal(clock(iso), ref(iso), iso);
});
