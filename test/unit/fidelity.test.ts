// Production's rules where the emulator used to differ (issue 10), as tables over the pure domain.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { resolveSender } from '../../src/domain/addresses.js';
import { appIdOf, parseAppYaml } from '../../src/domain/app-yaml.js';
import { planMessage } from '../../src/domain/inbound.js';
import { PresenceBook } from '../../src/domain/presence.js';
import { validateSendMessage } from '../../src/domain/validate.js';
import { presenceFromWord, type PresenceState } from '../../src/domain/vocabulary.js';
import { bodyTextOf } from '../../src/domain/xml.js';
import { encodedMessageRequestBytes, moduleOfTicket } from '../../src/domain/xmpp-rpc.js';
import { loadOptions, resolveOptions } from '../../src/options.js';

const word = (w: string): PresenceState => presenceFromWord(w)!;
type Step = (b: PresenceBook) => void;

// Rule 1: presence is reported only for subscribed JIDs; writing to the app (or sharing presence) subscribes,
// unless the JID explicitly unsubscribed; a bare JID is available while any of its resources is.
const PRESENCE: Array<[string, Step[], string, boolean]> = [
  ['unknown JID, not subscribed: unavailable', [], 'a@example.com', false],
  ['set available but not subscribed: still unavailable', [(b) => b.set('a@example.com', word('available'))], 'a@example.com', false],
  ['wrote to the app: subscribed, reported', [(b) => b.noteContact('a@example.com/desktop')], 'a@example.com', true],
  [
    'explicitly unsubscribed, then wrote: stays unsubscribed',
    [(b) => b.setSubscribed('a@example.com', false), (b) => b.noteContact('a@example.com/desktop')],
    'a@example.com',
    false,
  ],
  [
    'one resource available, another unavailable: available',
    [(b) => b.noteContact('a@example.com'), (b) => b.set('a@example.com/phone', word('away')), (b) => b.set('a@example.com/desktop', word('unavailable'))],
    'a@example.com',
    true,
  ],
  [
    'every resource unavailable: unavailable',
    [(b) => b.noteContact('a@example.com'), (b) => b.set('a@example.com/phone', word('away')), (b) => b.set('a@example.com/phone', word('unavailable'))],
    'a@example.com',
    false,
  ],
  [
    'a full JID reads its bare JID: available while any resource is',
    [(b) => b.noteContact('a@example.com'), (b) => b.set('a@example.com/phone', word('dnd')), (b) => b.set('a@example.com/desktop', word('unavailable'))],
    'a@example.com/desktop',
    true,
  ],
  [
    'a bare set replaces every resource',
    [(b) => b.noteContact('a@example.com'), (b) => b.set('a@example.com/phone', word('dnd')), (b) => b.set('a@example.com', word('unavailable'))],
    'a@example.com',
    false,
  ],
];

test('presence: subscribed JIDs only, contacts subscribe themselves, resources aggregate', () => {
  for (const [name, steps, jid, available] of PRESENCE) {
    const book = new PresenceBook(word('available'), true);
    steps.forEach((s) => s(book));
    assert.equal(book.lookup(jid).available, available, name);
  }
  const lenient = new PresenceBook(word('away'), false);
  assert.deepEqual(lenient.lookup('nobody@example.com'), word('away'), 'lenient: every JID is reported');
});

test('presence: the most recently updated available resource speaks for the JID; resources per JID are bounded', () => {
  const book = new PresenceBook(word('available'), true);
  book.noteContact('a@example.com');
  book.set('a@example.com/phone', word('dnd'));
  book.set('a@example.com/desktop', word('away'));
  assert.equal(book.lookup('a@example.com').show, 'away');
  for (let i = 0; i < 100; i++) book.set(`a@example.com/r${i}`, word('unavailable'));
  assert.equal(book.lookup('a@example.com').available, false, 'the 32 most recent resources are kept; older ones are forgotten');
});

test('lenient presence in all three spellings; strict is the default', () => {
  assert.equal(resolveOptions({ appYaml: null }).lenientPresence, false);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xmpp-emu-opts-'));
  fs.writeFileSync(path.join(dir, 'c.json'), JSON.stringify({ lenientPresence: true, offlineErrors: true }));
  const cases: Array<[string, Parameters<typeof loadOptions>[0], boolean]> = [
    ['flag', { flags: { lenientPresence: true, appYaml: null }, env: {}, cwd: dir }, true],
    ['env', { flags: { appYaml: null }, env: { XMPP_EMU_LENIENT_PRESENCE: '1' }, cwd: dir }, true],
    ['config file', { flags: { appYaml: null }, env: {}, configFile: 'c.json', cwd: dir }, true],
    ['flag beats env (--strict-presence)', { flags: { lenientPresence: false, appYaml: null }, env: { XMPP_EMU_LENIENT_PRESENCE: 'true' }, cwd: dir }, false],
  ];
  for (const [name, input, lenient] of cases) assert.equal(loadOptions(input).lenientPresence, lenient, name);
  assert.equal(loadOptions({ flags: { appYaml: null }, env: { XMPP_EMU_OFFLINE_ERRORS: '1' }, cwd: dir }).offlineErrors, true);
  assert.throws(
    () => loadOptions({ flags: { appYaml: null }, env: { XMPP_EMU_LENIENT_PRESENCE: 'maybe' }, cwd: dir }),
    /XMPP_EMU_LENIENT_PRESENCE must be 1 or 0/,
  );
});

// Rule 2: the module a call comes from, read from the Go SDK's own ticket.
test("moduleOfTicket: the SDK ticket APP/MODULE.VERSION.INSTANCE names a module; the emulator's tickets do not", () => {
  const cases: Array<[string | undefined, string | null]> = [
    ['my-app/default.20150612t184001.0', 'default'],
    ['s_my-app/worker.v2.abc123', 'worker'],
    ['9f3a1b2c-17', null],
    ['', null],
    [undefined, null],
  ];
  for (const [ticket, module] of cases) assert.equal(moduleOfTicket(ticket), module, String(ticket));
});

// Rule 5: the 1 MB call limit is measured on the encoded request.
test('the 1 MB call limit counts the encoded request, not just recipients plus body', () => {
  const body = 'x'.repeat(100 * 1024);
  // Recipients whose text alone keeps the call under 1 MB, but whose encoding (a tag and a length each) does not.
  const jid = (i: number): string => `user${String(i).padStart(6, '0')}@example.com`;
  const n = Math.floor((1024 * 1024 - body.length) / jid(0).length);
  const jids = Array.from({ length: n }, (_, i) => jid(i));
  assert.ok(jids.join('').length + body.length <= 1024 * 1024, 'the text fits');
  assert.ok(encodedMessageRequestBytes({ jids, body, rawXml: false, messageType: 'chat' }) > 1024 * 1024, 'the encoding does not');
  assert.throws(
    () => validateSendMessage({ jids, body }),
    (e: Error & { code?: string }) => e.code === 'EXCEEDED_MAX_SIZE' && /bytes encoded/.test(e.message),
  );
  // At the edge: each recipient costs its text plus a tag and a length byte; the body a tag and 3 length bytes; raw_xml 2.
  const fit = Math.floor((1024 * 1024 - (body.length + 4) - 2) / (jid(0).length + 2));
  assert.doesNotThrow(() => validateSendMessage({ jids: jids.slice(0, fit), body }));
  assert.throws(() => validateSendMessage({ jids: jids.slice(0, fit + 1), body }), /EXCEEDED|bytes encoded/);
});

// Rule 6: from_jid "" is the default sender; a missing body is reported before bad JIDs; type error goes to the error path.
test('from_jid "" is the default sender; a missing body comes before bad JIDs; an injected error message goes to /_ah/xmpp/error/', () => {
  const app = { appId: 'my-app', versions: [] };
  assert.equal(resolveSender('', app, null), 'my-app@appspot.com/bot');
  assert.equal(resolveSender(undefined, app, null), 'my-app@appspot.com/bot');
  const order: Array<[unknown, string]> = [
    [{ jids: [] }, 'NO_BODY'],
    [{ jids: '', body: '' }, 'NO_BODY'],
    [{ body: 'x' }, 'INVALID_JID'],
    [{ jids: [], body: 'x' }, 'INVALID_JID'],
  ];
  for (const [input, code] of order)
    assert.throws(
      () => validateSendMessage(input),
      (e: Error & { code?: string }) => e.code === code,
      JSON.stringify(input),
    );
  const plan = planMessage({ from: 'a@example.com/desktop', body: 'oops', type: 'error' }, { app, enabled: null });
  assert.deepEqual(
    [plan.deliver, plan.delivery.kind, plan.delivery.path, plan.delivery.parts.map((p) => p.name)],
    [true, 'error', '/_ah/xmpp/error/', ['from', 'stanza']],
  );
});

test('bodyTextOf: the <body> of raw XML content, which is what comes back when the app writes to itself', () => {
  const cases: Array<[string, string | null]> = [
    ['<body>hi</body>', 'hi'],
    ['<body>a &amp; b</body><html xmlns="http://jabber.org/protocol/xhtml-im"><body>x</body></html>', 'a & b'],
    ['<body><![CDATA[<raw>]]></body>', '<raw>'],
    ['<body/>', ''],
    ['<subject>no body</subject>', null],
    ['<body>unclosed', null],
  ];
  for (const [xml, text] of cases) assert.equal(bodyTextOf(xml), text, xml);
});

// Rule 7: inbound_services App Engine did not know are refused; partition prefixes are accepted.
test('inbound_services: unknown names are refused with the valid list; every name App Engine knew is accepted', () => {
  assert.throws(
    () => parseAppYaml('inbound_services:\n- xmpp_presense\n'),
    /"xmpp_presense" is not an inbound service App Engine knows \(valid: mail, mail_bounce, xmpp_message, xmpp_presence, xmpp_subscribe, xmpp_error, channel_presence, warmup\)/,
  );
  assert.deepEqual(parseAppYaml('inbound_services:\n- mail\n- warmup\n- xmpp_message\n- channel_presence\n').inboundServices, ['xmpp_message']);
});

test('app ids with a partition prefix are addressed by the part after ~', () => {
  const cases: Array<[string, string]> = [
    ['s~myapp', 'myapp'],
    ['e~other-app', 'other-app'],
    ['plain', 'plain'],
    ['dev~x', 'x'],
  ];
  for (const [given, id] of cases) assert.equal(appIdOf(given), id);
  assert.equal(resolveOptions({ appId: 's~myapp', appYaml: null }).appId, 'myapp');
  assert.equal(parseAppYaml('application: s~yaml-app\n').application, 'yaml-app');
});
