// Issue 9 item 6: the live feed is bounded in clients and in unread bytes; a client that never reads cannot crash it.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { FEED_LIMITS } from '../../src/http/feed-broadcast.js';
import { startEmulator, type RunningEmulator } from '../../src/index.js';
import { getJson, postJson } from '../helpers.js';

let em: RunningEmulator;
before(async () => {
  em = await startEmulator({ port: 0, appYaml: null });
});
after(() => em.close());

async function openFeed(): Promise<{ ws: WebSocket; events: Array<{ type: string; seq?: number }> }> {
  const ws = new WebSocket(`${em.url.replace('http', 'ws')}/v1/events`);
  const events: Array<{ type: string; seq?: number }> = [];
  ws.on('message', (d) => events.push(JSON.parse(String(d))));
  await once(ws, 'open');
  return { ws, events };
}

test('a feed client that never reads is cut off; the others get every event and the process lives', { timeout: 60_000 }, async () => {
  const reader = await openFeed();
  const port = new URL(em.url).port;
  const stuck = net.connect(Number(port), '127.0.0.1');
  stuck.write(
    `GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const [head] = (await once(stuck, 'data')) as [Buffer];
  assert.match(head.toString(), /^HTTP\/1\.1 101/);
  stuck.pause();
  const body = 'b'.repeat(90 * 1024);
  const sends = 400;
  for (let i = 0; i < sends; i++) assert.equal((await postJson(em.url, '/v1/xmpp/send_message', { jids: 'alice@example.com', body })).status, 200);
  // Read what was left for it: far less than was published, then the end of the connection.
  let received = 0;
  stuck.on('data', (d: Buffer) => (received += d.length));
  stuck.resume();
  await once(stuck, 'close');
  assert.ok(received < (sends * body.length) / 2, `the stuck client got ${received} bytes`);
  assert.ok(received <= FEED_LIMITS.maxClientBytes + 16 * 1024 * 1024, `${received} bytes`);
  while (reader.events.filter((e) => e.type === 'sent').length < sends) await once(reader.ws, 'message');
  assert.equal((await getJson(em.url, '/healthz')).status, 200);
  reader.ws.close();
});

test(`the feed takes at most ${FEED_LIMITS.maxClients} clients; the next is refused with a coded 503`, async () => {
  const open = await Promise.all(Array.from({ length: FEED_LIMITS.maxClients }, () => openFeed()));
  const extra = new WebSocket(`${em.url.replace('http', 'ws')}/v1/events`);
  const [, res] = (await once(extra, 'unexpected-response')) as [unknown, import('node:http').IncomingMessage];
  assert.equal(res.statusCode, 503);
  let text = '';
  for await (const c of res) text += c;
  assert.match(JSON.parse(text).error.message, /already has \d+ clients/);
  open[0]!.ws.close();
  await once(open[0]!.ws, 'close');
  // A place is free again once a client leaves.
  while ((await tryOpen()) === false);
  for (const o of open.slice(1)) o.ws.terminate();
});

async function tryOpen(): Promise<boolean> {
  const ws = new WebSocket(`${em.url.replace('http', 'ws')}/v1/events`);
  const ok = await Promise.race([once(ws, 'open').then(() => true), once(ws, 'unexpected-response').then(() => false)]);
  ws.terminate();
  return ok;
}
