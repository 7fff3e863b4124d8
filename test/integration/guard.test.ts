// The guard, surface by surface, with the headers a browser really sends: every request a page can make without a
// preflight is refused with a coded error and changes nothing; the app's server-side calls and the developer's
// tools still work. (test/e2e/hostile-page.test.ts makes the same requests from a real Chromium page.)
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import type { RunningEmulator } from '../../src/index.js';
import { checkRequest, mediaType } from '../../src/http/guard.js';
import { startEmulatorWithApp, type TestApp } from '../helpers.js';

let app: TestApp;
let em: RunningEmulator;
let close: () => Promise<void>;
before(async () => {
  ({ app, em, close } = await startEmulatorWithApp());
});
after(async () => {
  await close();
});

function raw(method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: em.port, path, method, headers: { Host: `127.0.0.1:${em.port}`, ...headers }, setHost: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : null }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Everything a refused request could have changed. */
async function state(): Promise<string> {
  const { quotas, outbox } = em.stats();
  return JSON.stringify({ outbox, quotas, presence: await em.listPresence(), received: app.received.length });
}

const SIMPLE_TYPES = ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', undefined];
const CROSS: Array<Record<string, string>> = [
  { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'no-cors' },
  { Origin: 'http://127.0.0.1:1', 'Sec-Fetch-Site': 'same-site', 'Sec-Fetch-Mode': 'no-cors' },
  { 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'no-cors', 'Sec-Fetch-Dest': 'image' },
  { Origin: 'null', 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'navigate' },
];
const POSTS: Array<[string, string]> = [
  ['/v1/xmpp/send_message', JSON.stringify({ jids: 'victim@example.com', body: 'from a page' })],
  ['/v1/xmpp/send_invite', JSON.stringify({ jid: 'victim@example.com' })],
  ['/v1/xmpp/send_presence', JSON.stringify({ jid: 'victim@example.com' })],
  ['/v1/xmpp/get_presence', JSON.stringify({ jid: 'victim@example.com' })],
  ['/v1/inbound/message', JSON.stringify({ from: 'admin@example.com', body: '/admin delete-everything' })],
  ['/v1/inbound/presence', JSON.stringify({ from: 'victim@example.com', type: 'unavailable' })],
  ['/v1/inbound/subscription', JSON.stringify({ from: 'victim@example.com', type: 'subscribe' })],
  ['/v1/inbound/error', JSON.stringify({ from: 'victim@example.com' })],
];

test('no-preflight POSTs (simple content types, with or without browser markings) are refused with a coded error and change nothing', async () => {
  const before = await state();
  let cases = 0;
  for (const [path, body] of POSTS) {
    for (const type of SIMPLE_TYPES) {
      for (const marks of [{}, ...CROSS]) {
        const r = await raw('POST', path, { ...(type ? { 'Content-Type': type } : {}), ...marks }, body);
        assert.ok(r.status === 403 || r.status === 415, `${path} ${type} ${JSON.stringify(marks)}: ${r.status}`);
        assert.ok(['FORBIDDEN', 'UNSUPPORTED_MEDIA_TYPE'].includes(r.body.error.code), JSON.stringify(r.body));
        cases++;
      }
    }
  }
  assert.equal(await state(), before);
  assert.ok(cases >= 200, `${cases} cases`);
});

test("the service API refuses any browser-marked request, even JSON from the emulator's own origin; the control API admits its own origin only", async () => {
  const before = await state();
  const own = `http://127.0.0.1:${em.port}`;
  const json = { 'Content-Type': 'application/json' };
  for (const marks of [...CROSS, { Origin: own, 'Sec-Fetch-Site': 'same-origin' }, { 'Sec-Fetch-Site': 'same-origin' }]) {
    const r = await raw('POST', '/v1/xmpp/send_message', { ...json, ...marks }, POSTS[0]![1]);
    assert.equal(r.status, 403, JSON.stringify(marks));
    assert.equal(r.body.error.code, 'FORBIDDEN');
  }
  for (const marks of CROSS) {
    assert.equal((await raw('POST', '/v1/inbound/message', { ...json, ...marks }, POSTS[4]![1])).status, 403);
  }
  assert.equal(await state(), before);
  // The app's server-side call (Node's fetch sends Sec-Fetch-Mode: cors, and no other marking).
  const ok = await raw('POST', '/v1/xmpp/send_message', { ...json, 'Sec-Fetch-Mode': 'cors' }, POSTS[0]![1]);
  assert.deepEqual(ok, { status: 200, body: { statuses: [0] } });
  // The emulator's own page, and the developer's tools.
  const injected = await raw(
    'POST',
    '/v1/inbound/presence',
    { ...json, Origin: own, 'Sec-Fetch-Site': 'same-origin' },
    JSON.stringify({ from: 'pat@example.com' }),
  );
  assert.equal(injected.status, 200);
  assert.equal((await raw('GET', '/v1/outbox', { 'Sec-Fetch-Site': 'none', 'Sec-Fetch-Mode': 'navigate' })).status, 200);
});

test('cross-site GETs (no Origin, only fetch metadata) are refused on the control API and /healthz: no outbox timing oracle', async () => {
  let cases = 0;
  for (const path of ['/v1/outbox', '/v1/outbox/wait?matches=secret&timeout_ms=5000', '/v1/presence', '/v1/stats', '/v1/info', '/healthz']) {
    for (const marks of CROSS) {
      const r = await raw('GET', path, marks);
      assert.equal(r.status, 403, `${path} ${JSON.stringify(marks)}`);
      assert.equal(r.body.error.code, 'FORBIDDEN');
      cases++;
    }
  }
  assert.equal(cases, 24);
  assert.equal((await raw('GET', '/healthz', {})).status, 200);
});

test('the feed refuses a cross-site WebSocket by fetch metadata too', async () => {
  const status = await new Promise<number>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${em.port}/v1/events`, { headers: { 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'websocket' } });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode!));
    ws.on('open', () => resolve(101));
  });
  assert.equal(status, 403);
});

test('checkRequest: one table of surfaces, hosts and markings', () => {
  const req = (headers: Record<string, string>, method = 'GET') => ({ headers: { host: '127.0.0.1:9', ...headers }, method });
  const table: Array<[Parameters<typeof checkRequest>[1], ReturnType<typeof req>, string | null]> = [
    ['service', req({ host: 'host.docker.internal:9', 'content-type': 'application/json' }, 'POST'), null],
    ['service', req({ 'content-type': 'Application/JSON; charset=utf-8' }, 'POST'), null],
    ['service', req({ 'content-type': 'application/json', 'sec-fetch-user': '?1' }, 'POST'), 'FORBIDDEN'],
    ['apiServer', req({ 'content-type': 'application/octet-stream' }, 'POST'), null],
    ['apiServer', req({ 'content-type': 'text/plain' }, 'POST'), 'UNSUPPORTED_MEDIA_TYPE'],
    ['control', req({ host: 'rebind.evil.example:9' }), 'FORBIDDEN'],
    ['control', req({ host: '192.168.1.5:9' }), 'FORBIDDEN'],
    ['control', req({ host: 'localhost:9', origin: 'http://127.0.0.1:9' }), null],
    ['control', req({ origin: 'http://127.0.0.1:10' }), 'FORBIDDEN'],
    ['control', req({ origin: 'ftp://127.0.0.1:9' }), 'FORBIDDEN'],
    ['control', req({ 'content-type': 'application/json' }, 'PUT'), null],
    ['control', req({}, 'DELETE'), null],
    ['console', req({ 'sec-fetch-site': 'same-origin' }), null],
    ['console', req({ 'sec-fetch-site': 'same-site' }), 'FORBIDDEN'],
    ['websocket', req({ origin: 'http://localhost:9' }), null],
    ['websocket', req({ origin: 'http://evil.localhost.example:9' }), 'FORBIDDEN'],
    ['health', req({ host: 'container:9' }), 'FORBIDDEN'],
    ['health', req({ host: 'localhost:9' }), null],
  ];
  for (const [surface, r, code] of table) assert.equal(checkRequest(r, surface, '127.0.0.1')?.code ?? null, code, `${surface} ${JSON.stringify(r)}`);
  assert.equal(mediaType(' Text/Plain ; charset=x'), 'text/plain');
});
