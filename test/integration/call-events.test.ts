// Every call the app makes and the emulator answers is one event, whichever protocol carried it: a read is a `call`
// event with the request as it came (the JSON body, or the decoded protobuf) and the answer; a send is its `sent`
// event (the outbox entry). Refusals stay `rejected`. Read over the live
// feed, so what a subscriber gets is the serialised event.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { startEmulator, type RunningEmulator } from '../../src/index.js';
import { rpc } from '../api-server-client.js';
import { postJson, startTestApp, type TestApp } from '../helpers.js';

let app: TestApp;
let em: RunningEmulator;
let ws: WebSocket;
const events: any[] = [];
const waiters: Array<() => void> = [];

before(async () => {
  app = await startTestApp();
  em = await startEmulator({ port: 0, appId: 'my-app', appUrl: app.url, appYaml: null });
  ws = new WebSocket(`${em.url.replace('http', 'ws')}/v1/events`);
  ws.on('message', (d) => {
    const m = JSON.parse(String(d));
    if (m.type === 'hello') return;
    events.push(m);
    waiters.splice(0).forEach((w) => w());
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
});
after(async () => {
  ws.close();
  await em.close();
  await app.close();
});

/** The first event after `since` that `pick` accepts, as the feed carried it. */
async function next(since: number, pick: (e: any) => boolean): Promise<any> {
  for (;;) {
    const found = events.find((e) => e.seq > since && pick(e));
    if (found) return found;
    await new Promise<void>((resolve) => waiters.push(resolve));
  }
}

const lastSeq = (): number => events.at(-1)?.seq ?? 0;

test('get_presence over the JSON API is a call event with its request, its answer and the delivery it answers', async () => {
  await em.setPresence('bob@example.com', { available: true, show: 'away', status: 'lunch', subscribed: true });
  const d = await em.injectMessage({ from: 'alice@example.com', body: 'is bob there?' });
  const since = lastSeq();
  const r = await postJson(em.url, '/v1/xmpp/get_presence', { jid: 'bob@example.com' }, { 'X-AppEngine-API-Ticket': d.id });
  assert.equal(r.status, 200);
  const e = await next(since, (x) => x.type === 'call');
  assert.deepEqual(
    { call: e.call, protocol: e.protocol, request: e.request, answer: e.answer, in_reply_to: e.in_reply_to, entry: e.entry },
    { call: 'get_presence', protocol: 'json', request: { jid: 'bob@example.com' }, answer: r.body, in_reply_to: d.id, entry: undefined },
  );
  assert.equal(e.method, undefined);
});

test('BulkGetPresence on /rpc_http and GetPresence on / are call events with the decoded protobuf request', async () => {
  await em.setPresence('carol@example.com', { available: false, subscribed: true });
  let since = lastSeq();
  await rpc(em.url, '/rpc_http', 'xmpp', 'BulkGetPresence', { jid: ['bob@example.com', 'carol@example.com'] });
  const bulk = await next(since, (x) => x.type === 'call');
  assert.equal(bulk.call, 'get_presence');
  assert.equal(bulk.protocol, 'rpc_http');
  assert.equal(bulk.method, 'xmpp.BulkGetPresence');
  assert.deepEqual(bulk.request, { jid: ['bob@example.com', 'carol@example.com'] });
  assert.deepEqual(
    bulk.answer.presence.map((p: any) => [p.jid, p.available, p.show]),
    [
      ['bob@example.com', true, 'away'],
      ['carol@example.com', false, ''],
    ],
  );
  assert.equal(bulk.in_reply_to, null);
  since = lastSeq();
  await rpc(em.url, '/', 'xmpp', 'GetPresence', { jid: 'bob@example.com', from_jid: 'my-app@appspot.com' });
  const single = await next(since, (x) => x.type === 'call');
  assert.deepEqual(
    { protocol: single.protocol, method: single.method, request: single.request },
    { protocol: 'remote_api', method: 'xmpp.GetPresence', request: { jid: 'bob@example.com', from_jid: 'my-app@appspot.com' } },
  );
});

test('a send is one sent event: its outbox entry holds the request, protocol and statuses, and no call event repeats it', async () => {
  const since = lastSeq();
  await rpc(em.url, '/rpc_http', 'xmpp', 'SendMessage', { jid: ['dave@example.com', 'not a jid'], body: 'hi', raw_xml: false });
  const sent = await next(since, (x) => x.type === 'sent');
  assert.deepEqual(
    { to: sent.entry.to, body: sent.entry.body, raw_xml: sent.entry.raw_xml, protocol: sent.entry.protocol, statuses: sent.entry.statuses },
    { to: ['dave@example.com', 'not a jid'], body: 'hi', raw_xml: false, protocol: 'rpc_http', statuses: [0, 1] },
  );
  // A read made next is the first call event after the send: nothing of type call came between them.
  await postJson(em.url, '/v1/xmpp/get_presence', { jid: 'bob@example.com' });
  const call = await next(since, (x) => x.type === 'call');
  assert.equal(call.call, 'get_presence');
  assert.ok(call.seq > sent.seq);
});

test('a refused call is a rejected event and no call event', async () => {
  const since = lastSeq();
  const r = await postJson(em.url, '/v1/xmpp/get_presence', { jid: 'nope' });
  assert.equal(r.body.error.code, 'INVALID_JID');
  const rejected = await next(since, (x) => x.type === 'rejected');
  assert.equal(rejected.call, 'get_presence');
  // The next answered call comes after the refusal with nothing between them of type call.
  await postJson(em.url, '/v1/xmpp/get_presence', { jid: 'bob@example.com' });
  const call = await next(since, (x) => x.type === 'call');
  assert.ok(call.seq > rejected.seq);
  assert.deepEqual(call.request, { jid: 'bob@example.com' });
});
