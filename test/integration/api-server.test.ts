// App Engine's API-server protocol, field by field: /rpc_http as the Go SDK speaks it, / as the Python 2 SDK does.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startEmulator, type EmulatorEvent, type RunningEmulator } from '../../src/index.js';
import { decodeAnswer, post, rpc, Request } from '../api-server-client.js';
import { startTestApp, type TestApp } from '../helpers.js';

let app: TestApp;
let em: RunningEmulator;
before(async () => {
  app = await startTestApp();
  em = await startEmulator({ port: 0, appId: 'my-app', appUrl: app.url, appYaml: null, quotas: { invitationsSent: 1 } });
});
after(async () => {
  await em.close();
  await app.close();
});

function nextRejected(): Promise<Extract<EmulatorEvent, { type: 'rejected' }>> {
  return new Promise((resolve) => {
    const off = em.onEvent((e) => {
      if (e.type === 'rejected') {
        off();
        resolve(e);
      }
    });
  });
}

test('SendMessage on /rpc_http: every field reaches the outbox, linked to the delivery whose ticket it carries', async () => {
  const d = await em.injectMessage({ from: 'alice@example.com/desktop', body: 'hello' });
  const since = await em.lastOutboxId();
  const a = await rpc(
    em.url,
    '/rpc_http',
    'xmpp',
    'SendMessage',
    {
      jid: ['alice@example.com/desktop', 'not a jid', 'bob@example.com'],
      body: '<b>hi</b>',
      raw_xml: true,
      type: 'headline',
      from_jid: 'news@my-app.appspotchat.com',
    },
    d.id,
  );
  assert.equal(a.status, 200);
  assert.deepEqual(decodeAnswer('SendMessage', a), { status: [0, 1, 0] });
  const e = await em.waitFor({ since });
  assert.deepEqual(
    { to: e.to, body: e.body, raw_xml: e.raw_xml, type: e.type, from: e.from, protocol: e.protocol, in_reply_to: e.in_reply_to },
    {
      to: ['alice@example.com/desktop', 'not a jid', 'bob@example.com'],
      body: '<b>hi</b>',
      raw_xml: true,
      type: 'headline',
      from: 'news@my-app.appspotchat.com/bot',
      protocol: 'rpc_http',
      in_reply_to: d.id,
    },
  );
});

test('SendMessage defaults: type chat when not sent (as Go omits it), the default sender, no reply link without a ticket', async () => {
  const since = await em.lastOutboxId();
  const a = await rpc(em.url, '/rpc_http', 'xmpp', 'SendMessage', { jid: ['carol@example.com'], body: 'x', raw_xml: false });
  assert.deepEqual(decodeAnswer('SendMessage', a), { status: [0] });
  const e = await em.waitFor({ since });
  assert.equal(e.type, 'chat');
  assert.equal(e.from, 'my-app@appspot.com/bot');
  assert.equal(e.in_reply_to, null);
});

test('GetPresence and BulkGetPresence answer is_available, presence (the SHOW enum) and valid from the emulator state', async () => {
  await em.setPresence('dnd@example.com', { available: true, show: 'dnd', subscribed: true });
  await em.setPresence('xa@example.com', { available: true, show: 'xa', subscribed: true });
  await em.setPresence('off@example.com', { available: false, subscribed: true });
  await em.setPresence('on@example.com', { available: true, subscribed: true });
  const single = async (jid: string) => decodeAnswer('GetPresence', await rpc(em.url, '/rpc_http', 'xmpp', 'GetPresence', { jid }));
  assert.deepEqual(await single('dnd@example.com'), { is_available: true, presence: 2, valid: true });
  assert.deepEqual(await single('xa@example.com'), { is_available: true, presence: 4, valid: true });
  assert.deepEqual(await single('on@example.com'), { is_available: true, presence: 0, valid: true });
  assert.deepEqual(await single('off@example.com'), { is_available: false, valid: true }, 'no presence when unavailable');
  const bulk = await rpc(em.url, '/rpc_http', 'xmpp', 'BulkGetPresence', { jid: ['dnd@example.com', 'bad jid', 'off@example.com'] });
  assert.deepEqual(decodeAnswer('BulkGetPresence', bulk), {
    presence_response: [
      { is_available: true, presence: 2, valid: true },
      { is_available: false, valid: false },
      { is_available: false, valid: true },
    ],
  });
});

test('SendInvite and SendPresence: fields and the empty answer', async () => {
  const since = await em.lastOutboxId();
  const inv = await rpc(em.url, '/rpc_http', 'xmpp', 'SendInvite', { jid: 'dora@example.com', from_jid: 'my-app@appspot.com' });
  assert.equal(inv.rpc_error, undefined);
  assert.equal(inv.application_error, undefined);
  const pres = await rpc(em.url, '/rpc_http', 'xmpp', 'SendPresence', { jid: 'dora@example.com', type: 'unavailable', show: 'away', status: 'gone fishing' });
  assert.equal(pres.application_error, undefined);
  const entries = await em.outbox({ since });
  assert.deepEqual(
    entries.map((e) => [e.kind, e.to, e.type, e.show, e.status, e.protocol]),
    [
      ['invite', ['dora@example.com'], undefined, undefined, undefined, 'rpc_http'],
      ['presence', ['dora@example.com'], 'unavailable', 'away', 'gone fishing', 'rpc_http'],
    ],
  );
});

test('logservice.Flush (sent after every request) is an empty success', async () => {
  const a = await rpc(em.url, '/rpc_http', 'logservice', 'Flush', new Uint8Array([0x0a, 0x00]));
  assert.equal(a.status, 200);
  assert.deepEqual(a.raw, Buffer.from([0x0a, 0x00]), 'Response{response: empty}');
});

// Every XmppServiceError the calls can produce, as application_error with the service's own code.
const APPLICATION_ERRORS: Array<[string, string, Record<string, unknown>, number, string, RegExp]> = [
  ['no body', 'SendMessage', { jid: ['a@b.c'], body: '' }, 3, 'NO_BODY', /body is empty/],
  ['no JID', 'SendMessage', { jid: [], body: 'x' }, 2, 'INVALID_JID', /empty list/],
  ['every JID invalid', 'SendMessage', { jid: ['nope'], body: 'x' }, 2, 'INVALID_JID', /not a valid JID/],
  ['sender not the app', 'SendMessage', { jid: ['a@b.c'], body: 'x', from_jid: 'eve@example.com' }, 2, 'INVALID_JID', /app's addresses/],
  ['bad raw XML', 'SendMessage', { jid: ['a@b.c'], body: '<a>', raw_xml: true }, 4, 'INVALID_XML', /well-formed/],
  ['bad type', 'SendMessage', { jid: ['a@b.c'], body: 'x', type: 'shout' }, 5, 'INVALID_TYPE', /"shout"/],
  ['body over 100 KB', 'SendMessage', { jid: ['a@b.c'], body: 'x'.repeat(102_401) }, 7, 'EXCEEDED_MAX_SIZE', /100 KB/],
  ['bad show', 'SendPresence', { jid: 'a@b.c', show: 'busy' }, 6, 'INVALID_SHOW', /"busy"/],
  ['bad presence type', 'SendPresence', { jid: 'a@b.c', type: 'gone' }, 5, 'INVALID_TYPE', /"gone"/],
  ['invalid presence JID', 'GetPresence', { jid: 'nope' }, 2, 'INVALID_JID', /not a valid JID/],
  ['invalid invite JID', 'SendInvite', { jid: 'nope' }, 2, 'INVALID_JID', /not a valid JID/],
  ['status too long', 'SendPresence', { jid: 'a@b.c', status: 's'.repeat(1025) }, 1, 'INVALID_STATUS', /at most 1024/],
];

for (const path of ['/rpc_http', '/'] as const) {
  test(`${path}: each service error is an application_error with the service's code and a detail, and a rejected event`, async () => {
    for (const [name, method, request, code, codeName, detail] of APPLICATION_ERRORS) {
      const seen = nextRejected();
      const a = await rpc(em.url, path, 'xmpp', method, request);
      assert.equal(a.status, 200, name);
      assert.equal(a.rpc_error, undefined, name);
      assert.equal(a.application_error?.code, code, name);
      assert.match(a.application_error!.detail, detail, name);
      const r = await seen;
      assert.deepEqual([r.call, r.protocol, r.code], [`xmpp.${method}`, path === '/' ? 'remote_api' : 'rpc_http', codeName], name);
    }
  });
}

test('OVER_QUOTA is rpc_error 4 on /rpc_http and an application_error on /', async () => {
  await rpc(em.url, '/rpc_http', 'xmpp', 'SendInvite', { jid: 'q1@example.com' });
  const go = await rpc(em.url, '/rpc_http', 'xmpp', 'SendInvite', { jid: 'q2@example.com' });
  assert.equal(go.rpc_error?.code, 4);
  const py = await rpc(em.url, '/', 'xmpp', 'SendInvite', { jid: 'q3@example.com' });
  assert.equal(py.rpc_error, undefined);
  assert.match(py.application_error!.detail, /^OVER_QUOTA: /);
});

// Failures of the call itself: rpc_error for Go and Python 3; on / an application_error (Python 2 ignores rpc_error).
const envelope = (service: string, method: string, request: Uint8Array) => Request.encode({ service_name: service, method, request }).finish();
const CALL_FAILURES: Array<[string, Uint8Array, number, string, RegExp]> = [
  ['unknown service', envelope('datastore_v3', 'Get', new Uint8Array(0)), 1, 'CALL_NOT_FOUND', /datastore_v3\.Get is not emulated/],
  ['unknown xmpp method', envelope('xmpp', 'SendSmokeSignal', new Uint8Array(0)), 1, 'CALL_NOT_FOUND', /xmpp\.SendSmokeSignal is not emulated/],
  ['inherited property as a method', envelope('xmpp', 'constructor', new Uint8Array(0)), 1, 'CALL_NOT_FOUND', /xmpp\.constructor is not emulated/],
  ['malformed envelope', Buffer.from('not a protobuf at all'), 2, 'PARSE_ERROR', /not a remote_api Request/],
  ['envelope without a method', Buffer.from([0x12, 0x04, ...Buffer.from('xmpp')]), 2, 'PARSE_ERROR', /missing required 'method'/],
  ['malformed request', envelope('xmpp', 'SendMessage', Buffer.from([0xff, 0xff, 0xff])), 2, 'PARSE_ERROR', /not a valid XmppMessageRequest/],
  ['request missing a required field', envelope('xmpp', 'GetPresence', new Uint8Array(0)), 2, 'PARSE_ERROR', /missing required 'jid'/],
];

test('call failures: rpc_error on /rpc_http, application_error with the reason on /, always HTTP 200, each a rejected event', async () => {
  for (const [name, body, code, codeName, detail] of CALL_FAILURES) {
    for (const path of ['/rpc_http', '/']) {
      const seen = nextRejected();
      const a = await post(em.url, path, body);
      assert.equal(a.status, 200, `${name} ${path}`);
      if (path === '/rpc_http') {
        assert.equal(a.rpc_error?.code, code, name);
        assert.match(a.rpc_error!.detail!, detail, name);
      } else {
        assert.equal(a.rpc_error, undefined, name);
        assert.equal(a.application_error?.code, 1, name);
        assert.match(a.application_error!.detail, new RegExp(`^${codeName}: .*${detail.source}`), name);
      }
      assert.equal((await seen).code, codeName, name);
    }
  }
});

test('an oversized request is answered REQUEST_TOO_LARGE with HTTP 200, and the server keeps serving', async () => {
  const big = envelope('xmpp', 'SendMessage', new Uint8Array(2 * 1024 * 1024));
  const a = await post(em.url, '/rpc_http', big);
  assert.equal(a.status, 200);
  assert.equal(a.rpc_error?.code, 5);
  const b = await post(em.url, '/', big);
  assert.match(b.application_error!.detail, /^REQUEST_TOO_LARGE: /);
  assert.equal((await rpc(em.url, '/rpc_http', 'logservice', 'Flush', new Uint8Array(0))).status, 200);
});

test('web pages cannot call it: a request with an Origin, or not application/octet-stream, is refused', async () => {
  const body = envelope('logservice', 'Flush', new Uint8Array(0));
  assert.equal((await post(em.url, '/rpc_http', body, { Origin: 'http://evil.example' })).status, 403);
  assert.equal((await post(em.url, '/rpc_http', body, { 'Sec-Fetch-Site': 'cross-site' })).status, 403);
  assert.equal((await post(em.url, '/rpc_http', body, { 'Content-Type': 'text/plain' })).status, 415);
  assert.equal((await post(em.url, '/', body, { 'Content-Type': 'application/x-www-form-urlencoded' })).status, 415);
});

test('POST / without X-appcfg-api-version is not the API server', async () => {
  const res = await fetch(`${em.url}/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/octet-stream' },
    body: Buffer.from(envelope('logservice', 'Flush', new Uint8Array(0))),
  });
  assert.notEqual(res.status, 200);
  assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'NOT_FOUND');
});

// The Python 2 remote_api stub's byte shapes (api-server.md): get_presence always calls BulkGetPresence, send_message
// always sends type, errors must carry a detail. Written out byte by byte, as the SDK puts them on the wire.
const str = (field: number, s: string | Buffer) => {
  const b = Buffer.isBuffer(s) ? s : Buffer.from(s);
  return Buffer.concat([Buffer.from([(field << 3) | 2, b.length]), b]);
};
const py2Call = (method: string, request: Buffer, requestId: string) => Buffer.concat([str(2, 'xmpp'), str(3, method), str(4, request), str(5, requestId)]);

test('Python 2 byte shapes on /: BulkGetPresence for one JID, SendMessage with type "", answers as the SDK parses them', async () => {
  await em.setPresence('py@example.com', 'available');
  const d = await em.injectMessage({ from: 'py@example.com/desktop', body: 'hi' });
  const presence = await post(em.url, '/', py2Call('BulkGetPresence', str(1, 'py@example.com'), d.id));
  // Response{response: BulkPresenceResponse{presence_response: {is_available: true, presence: NORMAL, valid: true}}}
  assert.equal(presence.raw.toString('hex'), '0a080a06080110001801');
  const since = await em.lastOutboxId();
  const send = await post(
    em.url,
    '/',
    py2Call('SendMessage', Buffer.concat([str(1, 'py@example.com'), str(2, 'pong'), Buffer.from([0x18, 0x00]), str(4, '')]), d.id),
  );
  // Response{response: XmppMessageResponse{status: [NO_ERROR]}}, unpacked as proto2 writes it
  assert.equal(send.raw.toString('hex'), '0a020800');
  const e = await em.waitFor({ since });
  assert.deepEqual([e.type, e.protocol, e.in_reply_to], ['', 'remote_api', d.id]);
  const bad = await post(em.url, '/', py2Call('SendMessage', Buffer.concat([str(1, 'py@example.com'), str(2, ''), str(4, 'chat')]), d.id));
  // application_error (field 3) {code: NO_BODY (3), detail (field 2) present}
  assert.equal(bad.raw.subarray(0, 1).toString('hex'), '1a');
  assert.equal(bad.raw.subarray(2, 4).toString('hex'), '0803');
  assert.equal(bad.raw[4], 0x12);
});

test('a latency fault delays the API-server answer on /rpc_http and on / without holding the event loop', async () => {
  for (const path of ['/rpc_http', '/'] as const) {
    await em.addFault({ call: 'get_presence', latency_ms: 300, times: 1 });
    let slowDone = false;
    const started = performance.now();
    const slow = rpc(em.url, path, 'xmpp', 'BulkGetPresence', { jid: ['late@example.com'] }).then((a) => ((slowDone = true), a));
    // While the slow call waits out its latency, another call is answered: the loop is free.
    const fault = await new Promise<EmulatorEvent>((resolve) => {
      const off = em.onEvent((e) => e.type === 'fault' && (off(), resolve(e)));
    });
    assert.equal(fault.type === 'fault' && fault.effect, 'latency 300 ms');
    const quick = await rpc(em.url, path, 'xmpp', 'BulkGetPresence', { jid: ['quick@example.com'] });
    assert.equal(quick.status, 200);
    assert.equal(slowDone, false, `${path}: the other call was answered while the slow one waited`);
    const answer = await slow;
    assert.equal(answer.status, 200);
    assert.ok(answer.response, `${path}: a normal answer after the latency`);
    assert.ok(performance.now() - started >= 290, `${path}: answered after the latency`);
  }
});
