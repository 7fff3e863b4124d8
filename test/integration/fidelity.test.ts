// Production's rules where the emulator used to differ (issue 10), through the running emulator: each rule is one
// row of a table, driven over the JSON API and App Engine's own protocol alike.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startEmulator, type DeliveryResult, type EmulatorEvent, type RunningEmulator } from '../../src/index.js';
import { rpc } from '../api-server-client.js';
import { postJson, startTestApp, type TestApp } from '../helpers.js';

let app: TestApp;
let em: RunningEmulator;
let bouncing: RunningEmulator;
before(async () => {
  app = await startTestApp();
  em = await startEmulator({ port: 0, appId: 's~my-app', appUrl: app.url, appYaml: null });
  bouncing = await startEmulator({ port: 0, appId: 'my-app', appUrl: app.url, appYaml: null, offlineErrors: true });
});
after(async () => {
  await em.close();
  await bouncing.close();
  await app.close();
});

/** The next delivery a running emulator reports (the service's own answers are deliveries too). */
function nextDelivery(on: RunningEmulator, match: (r: DeliveryResult) => boolean): Promise<DeliveryResult> {
  return new Promise((resolve) => {
    const off = on.onEvent((e: EmulatorEvent) => {
      if (e.type === 'delivered' && match(e.result)) {
        off();
        resolve(e.result);
      }
    });
  });
}

const presenceOf = async (jid: string) => (await postJson(em.url, '/v1/xmpp/get_presence', { jid }, { 'Content-Type': 'application/json' })).body.presence[0];

test('rule 1: presence is reported for subscribed JIDs only; a user who writes to the app counts as subscribed', async () => {
  assert.equal((await presenceOf('never-seen@example.com')).available, false, 'unknown to the app: not subscribed');
  await em.setPresence('quiet@example.com', { available: true, show: 'away', subscribed: false });
  assert.equal((await presenceOf('quiet@example.com')).available, false, 'set, but not subscribed');
  await em.setPresence('configured@example.com', 'away');
  assert.equal((await presenceOf('configured@example.com')).show, 'away', 'set by the developer (console, REPL, CLI): a contact');
  await em.injectMessage({ from: 'chatty@example.com/desktop', body: 'hi' });
  assert.deepEqual((await presenceOf('chatty@example.com')).available, true, 'wrote to the app: subscribed, default available');
  await em.injectPresence({ from: 'chatty@example.com/phone', type: 'available', show: 'dnd' });
  await em.injectPresence({ from: 'chatty@example.com/desktop', type: 'unavailable' });
  assert.equal((await presenceOf('chatty@example.com')).show, 'dnd', 'available while any resource is');
  const lenient = await startEmulator({ port: 0, appYaml: null, lenientPresence: true, defaultPresence: 'xa' });
  try {
    assert.equal((await postJson(lenient.url, '/v1/xmpp/get_presence', { jid: 'anyone@example.com' })).body.presence[0].show, 'xa');
  } finally {
    await lenient.close();
  }
});

test("rule 2: NONDEFAULT_MODULE when the call names a non-default module (JSON header; the Go SDK's own ticket)", async () => {
  const cases: Array<[string, () => Promise<string | undefined>, string | undefined]> = [
    [
      'JSON, module worker',
      async () => (await postJson(em.url, '/v1/xmpp/send_message', { jids: 'a@example.com', body: 'x' }, { 'X-AppEngine-Module': 'worker' })).body.error?.code,
      'NONDEFAULT_MODULE',
    ],
    [
      'JSON, module default',
      async () => (await postJson(em.url, '/v1/xmpp/send_invite', { jid: 'a@example.com' }, { 'X-AppEngine-Module': 'default' })).body.error?.code,
      undefined,
    ],
    [
      'rpc_http, ticket of module worker',
      async () => String((await rpc(em.url, '/rpc_http', 'xmpp', 'GetPresence', { jid: 'a@example.com' }, 'my-app/worker.v1.0')).application_error?.code),
      '9',
    ],
    [
      'rpc_http, ticket of module default',
      async () => (await rpc(em.url, '/rpc_http', 'xmpp', 'GetPresence', { jid: 'a@example.com' }, 'my-app/default.v1.0')).application_error?.detail,
      undefined,
    ],
  ];
  for (const [name, call, expected] of cases) assert.equal(await call(), expected, name);
});

test("rule 3: a probe is answered with the user's current presence, POSTed to /_ah/xmpp/presence/...; not for unsubscribed users", async () => {
  await em.setPresence('probed@example.com', { available: true, show: 'chat', status: 'around', subscribed: true });
  const answered = nextDelivery(em, (r) => r.from === 'probed@example.com');
  await postJson(em.url, '/v1/xmpp/send_presence', { jid: 'probed@example.com', presence_type: 'probe' });
  const r = await answered;
  assert.deepEqual([r.delivered, r.path, r.to], [true, '/_ah/xmpp/presence/available/', 'my-app@appspot.com/bot']);
  const posted = app.received.find((p) => p.fields.from === 'probed@example.com')!;
  assert.deepEqual([posted.fields.show, posted.fields.status], ['chat', 'around']);

  await em.setPresence('gone@example.com', { available: false, subscribed: true });
  const gone = nextDelivery(em, (d) => d.from === 'gone@example.com');
  await rpc(em.url, '/rpc_http', 'xmpp', 'SendPresence', { jid: 'gone@example.com', type: 'probe' });
  assert.equal((await gone).path, '/_ah/xmpp/presence/unavailable/');

  // Unsubscribed: nothing is posted. Proven by a later probe's answer arriving first.
  const seen: string[] = [];
  const off = em.onEvent((e) => e.type === 'delivered' && seen.push(e.result.from));
  await postJson(em.url, '/v1/xmpp/send_presence', { jid: 'stranger@example.com', presence_type: 'probe' });
  const marker = nextDelivery(em, (d) => d.from === 'probed@example.com');
  await postJson(em.url, '/v1/xmpp/send_presence', { jid: 'probed@example.com', presence_type: 'probe' });
  await marker;
  off();
  assert.deepEqual(seen, ['probed@example.com']);
});

test('rule 3: with offlineErrors, a message to an unavailable user comes back as an error stanza to /_ah/xmpp/error/', async () => {
  await bouncing.setPresence('away@example.com', { available: false, subscribed: true });
  await bouncing.setPresence('here@example.com', { available: true, subscribed: true });
  const bounced = nextDelivery(bouncing, (r) => r.kind === 'error');
  await postJson(bouncing.url, '/v1/xmpp/send_message', { jids: ['here@example.com', 'away@example.com'], body: 'anyone there?' });
  const r = await bounced;
  assert.deepEqual([r.from, r.path, r.delivered], ['away@example.com', '/_ah/xmpp/error/', true]);
  assert.match(app.received.at(-1)!.fields.stanza!, /service-unavailable/);
  // Off by default: the same send to em posts nothing (the send's own loop-back marker arrives, no error first).
  await em.setPresence('away@example.com', { available: false, subscribed: true });
  const kinds: string[] = [];
  const off = em.onEvent((e) => e.type === 'delivered' && kinds.push(e.result.kind));
  const marker = nextDelivery(em, (d) => d.loopback === true);
  await postJson(em.url, '/v1/xmpp/send_message', { jids: ['away@example.com', 'self@my-app.appspotchat.com'], body: 'marker' });
  await marker;
  off();
  assert.deepEqual(kinds, ['message']);
});

test('rule 4: the REPL and fixtures talk as full JIDs, so a bot comparing a bare JID with `from` fails here as it did there', async () => {
  const r = await em.injectMessage({ from: 'alice@example.com/desktop', body: 'who am I' });
  assert.equal(app.received.at(-1)!.fields.from, 'alice@example.com/desktop');
  assert.equal(r.from, 'alice@example.com/desktop');
});

test('rule 5: the 1 MB limit on the encoded request, over both protocols', async () => {
  const body = 'x'.repeat(100 * 1024);
  const jids = Array.from({ length: 41_000 }, (_, i) => `user${String(i).padStart(6, '0')}@example.com`);
  assert.ok(jids.join('').length + body.length < 1024 * 1024, 'recipients plus body alone fit');
  assert.equal((await postJson(em.url, '/v1/xmpp/send_message', { jids, body })).body.error.code, 'EXCEEDED_MAX_SIZE');
  assert.equal((await rpc(em.url, '/rpc_http', 'xmpp', 'SendMessage', { jid: jids, body })).application_error?.code, 7);
});

test('rule 6: from_jid "" is the default sender; an injected error message reaches /_ah/xmpp/error/; raw XML to itself comes back', async () => {
  const since = await em.lastOutboxId();
  assert.deepEqual((await postJson(em.url, '/v1/xmpp/send_message', { jids: 'a@example.com', body: 'x', from_jid: '' })).body, { statuses: [0] });
  assert.equal((await em.waitFor({ since })).from, 'my-app@appspot.com/bot');
  assert.equal((await postJson(em.url, '/v1/xmpp/send_message', { jids: 'not a jid' })).body.error.code, 'NO_BODY');
  const e = await em.injectMessage({ from: 'a@example.com/desktop', body: 'bounce', type: 'error' });
  assert.equal(e.path, '/_ah/xmpp/error/');
  const back = nextDelivery(em, (r) => r.loopback === true && r.body === 'to myself');
  await postJson(em.url, '/v1/xmpp/send_message', { jids: 'notes@my-app.appspotchat.com', body: '<body>to myself</body>', raw_xml: true });
  assert.deepEqual(((await back) as DeliveryResult & { path: string }).path, '/_ah/xmpp/message/chat/');
});

test('rule 7: an app id with a partition prefix (s~my-app) is addressed by the part after ~', async () => {
  assert.equal(em.options.appId, 'my-app');
  const r = await em.injectMessage({ from: 'a@example.com/desktop', to: 'my-app@appspot.com', body: 'hi' });
  assert.equal(r.delivered, true);
});
