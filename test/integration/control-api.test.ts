import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { startEmulator, type EmulatorEvent, type RunningEmulator } from '../../src/index.js';
import { getJson, postJson, startTestApp, type TestApp } from '../helpers.js';

let app: TestApp;
let em: RunningEmulator;
before(async () => {
  app = await startTestApp();
  em = await startEmulator({ port: 0, appUrl: app.url, appYaml: null, outboxCap: 5 });
});
after(async () => {
  await em.close();
  await app.close();
});

const send = (jids: string | string[], body: string) => postJson(em.url, '/v1/xmpp/send_message', { jids, body });

test('GET /v1/outbox lists oldest first with filters; the cap holds and drops are counted; DELETE clears', async () => {
  await getJson(em.url, '/v1/outbox', { method: 'DELETE' });
  for (let i = 1; i <= 7; i++) await send(i % 2 ? 'odd@example.com/r' : 'even@example.com', `n${i}`);
  await postJson(em.url, '/v1/xmpp/send_invite', { jid: 'odd@example.com' });
  const all = await getJson(em.url, '/v1/outbox');
  assert.deepEqual(
    all.body.entries.map((e: { body?: string; kind: string }) => e.body ?? e.kind),
    ['n4', 'n5', 'n6', 'n7', 'invite'],
  );
  assert.equal(all.body.stats.cap, 5);
  assert.ok(all.body.stats.dropped >= 3);
  const odd = await getJson(em.url, '/v1/outbox?to=odd@example.com&kind=message');
  assert.deepEqual(
    odd.body.entries.map((e: { body: string }) => e.body),
    ['n5', 'n7'],
  );
  assert.deepEqual(
    (await getJson(em.url, '/v1/outbox?contains=6')).body.entries.map((e: { body: string }) => e.body),
    ['n6'],
  );
  assert.deepEqual(
    (await getJson(em.url, `/v1/outbox?matches=${encodeURIComponent('^n[45]$')}`)).body.entries.map((e: { body: string }) => e.body),
    ['n4', 'n5'],
  );
  const since = all.body.entries[2].id;
  assert.equal((await getJson(em.url, `/v1/outbox?since=${since}`)).body.entries.length, 2);
  const bad = await getJson(em.url, '/v1/outbox?kind=letter');
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'BAD_REQUEST');
  const cleared = await getJson(em.url, '/v1/outbox', { method: 'DELETE' });
  assert.equal(cleared.body.cleared, 5);
  assert.deepEqual((await getJson(em.url, '/v1/outbox')).body.entries, []);
});

test('GET /v1/outbox/wait long-polls until a matching entry exists, and answers 408 at the time-out', async () => {
  const waiting = getJson(em.url, '/v1/outbox/wait?to=late@example.com&contains=finally&timeout_ms=5000');
  await send('late@example.com', 'not yet');
  await send('late@example.com', 'finally here');
  const r = await waiting;
  assert.equal(r.status, 200);
  assert.equal(r.body.entry.body, 'finally here');
  const started = Date.now();
  const t = await getJson(em.url, '/v1/outbox/wait?contains=never-sent&timeout_ms=150');
  assert.equal(t.status, 408);
  assert.equal(t.body.error.code, 'TIMEOUT');
  assert.ok(Date.now() - started >= 140);
  await assert.rejects(
    em.waitFor({ contains: 'never-sent', timeoutMs: 50 }),
    (e: Error & { code?: string }) => e.code === 'TIMEOUT' && /within 50 ms/.test(e.message),
  );
});

test('WebSocket /v1/events streams sent, delivered, presence and config events as JSON', async () => {
  const ws = new WebSocket(`${em.url.replace('http', 'ws')}/v1/events`);
  const events: Array<{ type: string }> = [];
  const seen = new Promise<void>((resolve) => {
    ws.on('message', (d) => {
      events.push(JSON.parse(String(d)));
      const types = new Set(events.map((e) => e.type));
      if (['hello', 'sent', 'delivered', 'presence', 'outbox.cleared'].every((t) => types.has(t))) resolve();
    });
  });
  await new Promise((r) => ws.once('open', r));
  await send('feed@example.com', 'on the feed');
  await em.injectMessage({ from: 'feed@example.com', body: 'hi' });
  await em.setPresence('feed@example.com', 'away');
  await getJson(em.url, '/v1/outbox', { method: 'DELETE' });
  await seen;
  ws.close();
  const sent = events.find((e) => e.type === 'sent') as unknown as { entry: { body: string }; seq: number; time: string };
  assert.equal(sent.entry.body, 'on the feed');
  assert.ok(sent.seq > 0 && sent.time);
});

function rawRequest(port: number, reqPath: string, headers: Record<string, string>, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: reqPath, method, headers, setHost: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end(method === 'POST' ? '{"from":"a@b.c","body":"x"}' : undefined);
  });
}

test('the control API and the feed refuse foreign Origins and non-loopback Hosts with 403; the service API does not', async () => {
  const port = em.port;
  const own = { Host: `127.0.0.1:${port}` };
  assert.equal((await rawRequest(port, '/v1/outbox', own)).status, 200);
  assert.equal((await rawRequest(port, '/v1/outbox', { Host: `localhost:${port}`, Origin: `http://localhost:${port}` })).status, 200);
  const table: Array<[string, Record<string, string>, string]> = [
    ['/v1/outbox', { ...own, Origin: 'https://evil.example' }, 'GET'],
    ['/v1/inbound/message', { ...own, Origin: 'http://evil.example', 'Content-Type': 'application/json' }, 'POST'],
    ['/v1/outbox', { ...own, Origin: `http://127.0.0.1:${port + 1}` }, 'GET'],
    ['/v1/outbox', { Host: `rebind.evil.example:${port}` }, 'GET'],
    ['/v1/presence', { Host: `192.168.1.10:${port}` }, 'GET'],
    ['/v1/stats', { ...own, Origin: 'null' }, 'GET'],
  ];
  const before = app.received.length;
  for (const [p, headers, method] of table) {
    const r = await rawRequest(port, p, headers, method);
    assert.equal(r.status, 403, `${p} ${JSON.stringify(headers)}`);
    assert.equal(JSON.parse(r.body).error.code, 'FORBIDDEN');
  }
  assert.equal(app.received.length, before, 'a refused injection posts nothing');
  // The app's server-side calls carry no Origin, and may come through any Host name (a container, say).
  const svc = await rawRequest(port, '/v1/outbox', { Host: `host.docker.internal:${port}` });
  assert.equal(svc.status, 403);
  const ok = await new Promise<number>((resolve) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/xmpp/send_message',
        method: 'POST',
        headers: { Host: `host.docker.internal:${port}`, 'Content-Type': 'application/json' },
        setHost: false,
      },
      (res) => resolve(res.statusCode!),
    );
    req.end(JSON.stringify({ jids: 'a@b.c', body: 'from a container' }));
  });
  assert.equal(ok, 200);

  const wsRefused = await new Promise<number>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/events`, { headers: { Origin: 'https://evil.example' } });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode!));
    ws.on('open', () => resolve(101));
  });
  assert.equal(wsRefused, 403);
});

test('PUT /v1/presence/:jid sets what get_presence answers; bad input is a coded 400', async () => {
  const put = (jid: string, body: unknown) =>
    fetch(`${em.url}/v1/presence/${encodeURIComponent(jid)}`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  let r = await put('pat@example.com', { available: true, show: 'xa', status: 'far', subscribed: true });
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), { jid: 'pat@example.com', available: true, show: 'xa', status: 'far', subscribed: true });
  const p = await postJson(em.url, '/v1/xmpp/get_presence', { jid: 'pat@example.com/any' });
  assert.deepEqual(p.body.presence[0], { jid: 'pat@example.com/any', valid: true, available: true, show: 'xa', status: 'far' });
  r = await put('pat@example.com', 'sleepy');
  assert.equal(r.status, 400);
  r = await put('not-a-jid', 'away');
  assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'INVALID_JID');
  const list = await getJson(em.url, '/v1/presence');
  assert.equal(list.body.jids.find((j: { jid: string }) => j.jid === 'pat@example.com').show, 'xa');
});

test('a watched presence file applies edits without a restart; a broken edit keeps the last good state', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xmpp-emu-presence-'));
  const file = path.join(dir, 'presence.json');
  fs.writeFileSync(file, JSON.stringify({ subscribed: ['sam@example.com'], jids: { 'sam@example.com': 'away', 'tia@example.com': 'unavailable' } }));
  const pem = await startEmulator({ port: 0, presenceFile: file, appYaml: null });
  const nextConfig = () =>
    new Promise<EmulatorEvent>((resolve) => {
      const stop = pem.onEvent((e) => e.type === 'config' && (stop(), resolve(e)));
    });
  try {
    const ask = async (jid: string) => (await postJson(pem.url, '/v1/xmpp/get_presence', { jid })).body.presence[0];
    assert.deepEqual([(await ask('sam@example.com')).available, (await ask('sam@example.com')).show], [true, 'away']);
    assert.equal((await ask('uma@example.com')).available, false, 'strict: not subscribed reads unavailable');
    let changed = nextConfig();
    fs.writeFileSync(file, JSON.stringify({ subscribed: ['sam@example.com', 'uma@example.com'], jids: { 'sam@example.com': 'dnd' } }));
    assert.equal(((await changed) as { ok: boolean }).ok, true);
    assert.equal((await ask('sam@example.com')).show, 'dnd');
    assert.equal((await ask('uma@example.com')).available, true);
    changed = nextConfig();
    fs.writeFileSync(file, '{"jids": {"sam@example.com": "snoozing"}}');
    const bad = (await changed) as { ok: boolean; message: string };
    assert.equal(bad.ok, false);
    assert.match(bad.message, /"snoozing" is not one of.*keeping the last good state/);
    assert.equal((await ask('sam@example.com')).show, 'dnd');
  } finally {
    await pem.close();
  }
  await assert.rejects(startEmulator({ port: 0, presenceFile: path.join(dir, 'missing.json'), appYaml: null }), /cannot read presence file .*ENOENT/);
});
