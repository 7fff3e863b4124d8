import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startEmulator, type RunningEmulator } from '../../src/index.js';
import { getJson, postJson } from '../helpers.js';

let em: RunningEmulator;
before(async () => {
  em = await startEmulator({ port: 0, appId: 'my-app', versions: { v2: 'http://127.0.0.1:1' }, quotas: { invitationsSent: 2 }, appYaml: null });
});
after(() => em.close());

// Every error code the service API can answer, with the request that produces it.
const ERRORS: Array<[string, string, unknown, number, string, RegExp]> = [
  ['malformed JSON', '/v1/xmpp/send_message', '{"jids": ', 400, 'BAD_REQUEST', /malformed JSON/],
  ['a JSON array body', '/v1/xmpp/send_message', [], 400, 'BAD_REQUEST', /must be a JSON object/],
  ['wrongly typed field', '/v1/xmpp/send_message', { jids: 'a@b.c', body: 5 }, 400, 'BAD_REQUEST', /body must be a string/],
  ['empty JID list', '/v1/xmpp/send_message', { jids: [], body: 'x' }, 400, 'INVALID_JID', /jids is an empty list/],
  ['no valid JID', '/v1/xmpp/send_message', { jids: ['nope', 'also nope'], body: 'x' }, 400, 'INVALID_JID', /no JID in jids is valid/],
  [
    'from_jid not the app',
    '/v1/xmpp/send_message',
    { jids: 'a@b.c', body: 'x', from_jid: 'alice@example.com' },
    400,
    'INVALID_JID',
    /not one of the app's addresses/,
  ],
  ['no body', '/v1/xmpp/send_message', { jids: 'a@b.c' }, 400, 'NO_BODY', /body is missing/],
  ['bad XML', '/v1/xmpp/send_message', { jids: 'a@b.c', body: '<a>', raw_xml: true }, 400, 'INVALID_XML', /not well-formed/],
  ['bad message type', '/v1/xmpp/send_message', { jids: 'a@b.c', body: 'x', message_type: 'yell' }, 400, 'INVALID_TYPE', /message_type "yell"/],
  ['over 100 KB', '/v1/xmpp/send_message', { jids: 'a@b.c', body: 'x'.repeat(102_401) }, 413, 'EXCEEDED_MAX_SIZE', /at most 102400 bytes/],
  ['request over the body limit', '/v1/xmpp/send_message', { jids: 'a@b.c', body: 'x'.repeat(2 * 1024 * 1024) }, 413, 'EXCEEDED_MAX_SIZE', /request body is/],
  ['bad presence type', '/v1/xmpp/send_presence', { jid: 'a@b.c', presence_type: 'gone' }, 400, 'INVALID_TYPE', /presence_type "gone"/],
  ['bad show', '/v1/xmpp/send_presence', { jid: 'a@b.c', presence_show: 'busy' }, 400, 'INVALID_SHOW', /presence_show "busy"/],
  ['status too long', '/v1/xmpp/send_presence', { jid: 'a@b.c', status: 'x'.repeat(1025) }, 400, 'INVALID_STATUS', /at most 1024/],
  ['invite to an invalid JID', '/v1/xmpp/send_invite', { jid: 'nobody' }, 400, 'INVALID_JID', /not a valid JID/],
  ['presence of no valid JID', '/v1/xmpp/get_presence', { jid: ['x', 'y'] }, 400, 'INVALID_JID', /no JID in jid is valid/],
  ['unknown endpoint', '/v1/xmpp/send_smoke_signal', {}, 404, 'NOT_FOUND', /no such endpoint/],
];

test('each failure answers its HTTP status and {"error":{"code","message"}}, and the emulator keeps serving', async () => {
  for (const [name, path, body, status, code, message] of ERRORS) {
    const r = await postJson(em.url, path, body);
    assert.equal(r.status, status, name);
    assert.equal(r.body.error.code, code, name);
    assert.match(r.body.error.message, message, name);
  }
  assert.equal((await getJson(em.url, '/healthz')).status, 200);
});

test('OVER_QUOTA once the daily invitation limit is spent', async () => {
  assert.equal((await postJson(em.url, '/v1/xmpp/send_invite', { jid: 'q1@example.com' })).status, 200);
  assert.equal((await postJson(em.url, '/v1/xmpp/send_invite', { jid: 'q2@example.com' })).status, 200);
  const r = await postJson(em.url, '/v1/xmpp/send_invite', { jid: 'q3@example.com' });
  assert.equal(r.status, 429);
  assert.equal(r.body.error.code, 'OVER_QUOTA');
});

test('send_message: one status per recipient, invalid ones in place, default sender with /bot', async () => {
  const r = await postJson(em.url, '/v1/xmpp/send_message', { jids: ['alice@example.com', 'not-a-jid', 'bob@example.com/desk'], body: 'hi' });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { statuses: [0, 1, 0] });
  const [entry] = await em.outbox({ contains: 'hi', to: 'bob@example.com' });
  assert.equal(entry!.from, 'my-app@appspot.com/bot');
  assert.deepEqual(entry!.to, ['alice@example.com', 'not-a-jid', 'bob@example.com/desk']);
  assert.equal((await postJson(em.url, '/v1/xmpp/send_message', { jids: 'alice@example.com', body: 'one' })).body.statuses.length, 1);
});

test('X-AppEngine-Version: a non-default version sends from its own domain', async () => {
  await postJson(em.url, '/v1/xmpp/send_message', { jids: 'carol@example.com', body: 'from v2' }, { 'X-AppEngine-Version': 'v2' });
  await postJson(em.url, '/v1/xmpp/send_message', { jids: 'carol@example.com', body: 'from default' }, { 'X-AppEngine-Version': '20260101t120000' });
  assert.equal((await em.waitFor({ contains: 'from v2' })).from, 'my-app@v2.latest.my-app.appspotchat.com/bot');
  assert.equal((await em.waitFor({ contains: 'from default' })).from, 'my-app@appspot.com/bot');
});

test('get_presence answers per JID with valid, available, show and status; the app is always available', async () => {
  await em.setPresence('dave@example.com', { available: true, show: 'away', status: 'lunch', subscribed: true });
  const r = await postJson(em.url, '/v1/xmpp/get_presence', { jid: ['dave@example.com/phone', 'bad', 'my-app@appspot.com'] });
  assert.deepEqual(r.body.presence, [
    { jid: 'dave@example.com/phone', valid: true, available: true, show: 'away', status: 'lunch' },
    { jid: 'bad', valid: false, available: false, show: '', status: '' },
    { jid: 'my-app@appspot.com', valid: true, available: true, show: '', status: '' },
  ]);
});

test('send_invite marks the JID invited; send_presence is captured; /v1/stats counts per recipient', async () => {
  const before = (await getJson(em.url, '/v1/stats')).body.quotas.total;
  await postJson(em.url, '/v1/xmpp/send_message', { jids: ['s1@example.com', 's2@example.com', 'bad'], body: 'metered' });
  await postJson(em.url, '/v1/xmpp/send_presence', { jid: 's1@example.com', presence_type: 'unavailable', status: 'bye' });
  const after = (await getJson(em.url, '/v1/stats')).body;
  assert.equal(after.quotas.total.api_calls - before.api_calls, 2);
  assert.equal(after.quotas.total.recipients_messaged - before.recipients_messaged, 2);
  assert.ok(after.quotas.total.data_sent_bytes > before.data_sent_bytes);
  assert.equal(after.quotas.limits.invitations_sent, 2);
  // One naming style on the wire: every key of /v1/stats is snake_case (issue 11: it mixed camelCase limits in).
  const keys = (v: unknown): string[] => (v && typeof v === 'object' ? Object.entries(v).flatMap(([k, x]) => [k, ...keys(x)]) : []);
  assert.deepEqual(
    keys(after).filter((k) => !/^[a-z0-9_]+$/.test(k)),
    [],
  );
  const p = await em.waitFor({ kind: 'presence', to: 's1@example.com' });
  assert.equal(p.type, 'unavailable');
  assert.equal(p.status, 'bye');
  assert.equal((await em.listPresence()).jids.find((j) => j.jid === 'q1@example.com')?.invited, true);
});
