// The guard's paths come from the control API's route table, so a route added to the table is guarded with no
// second list to update: every route in CONTROL_ROUTES refuses a foreign page, and its handler never runs.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { engineOf } from '../../src/core/start.js';
import { CONTROL_PATHS, CONTROL_ROUTES } from '../../src/http/control-api.js';
import { startEmulator, type RunningEmulator } from '../../src/index.js';

let em: RunningEmulator;
before(async () => {
  em = await startEmulator({ port: 0, appYaml: null, appUrl: 'http://127.0.0.1:1' });
});
after(async () => {
  await em.close();
});

test('every control route is under a guarded path', () => {
  for (const r of CONTROL_ROUTES)
    assert.ok(
      CONTROL_PATHS.some((p) => r.path === p || r.path.startsWith(`${p}/`)),
      r.path,
    );
});

test('every control route refuses a cross-site page with 403 before its handler runs', async () => {
  let events = 0;
  const off = engineOf(em).onEvent(() => events++);
  for (const r of CONTROL_ROUTES) {
    const path = r.path.replace(/:[a-z]+/g, 'victim@example.com');
    const res = await fetch(`${em.url}${path}`, {
      method: r.method.toUpperCase(),
      headers: { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site', 'Content-Type': 'text/plain' },
      ...(r.method === 'get' ? {} : { body: JSON.stringify({ from: 'victim@example.com', body: 'x', type: 'subscribe' }) }),
    });
    assert.equal(res.status, 403, `${r.method} ${path}`);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'FORBIDDEN', `${r.method} ${path}`);
  }
  off();
  assert.equal(events, 0, 'no refused request injected, cleared or changed anything');
});

// The control API runs on bare node:http (control-router.ts), not express: paths match as express's router matched
// them, and every refusal keeps the coded shape.
test('control paths match in any case and with a trailing slash; HEAD answers as GET; unknown ones are a coded 404 after the guard', async () => {
  for (const path of ['/V1/STATS', '/v1/stats/', '/ns/router-case/v1/Stats']) {
    const res = await fetch(`${em.url}${path}`);
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json; charset=utf-8$/);
    assert.ok(((await res.json()) as { outbox: unknown }).outbox, path);
  }
  const head = await fetch(`${em.url}/v1/info`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), '');
  const missing = await fetch(`${em.url}/v1/outbox/nothing-here`);
  assert.equal(missing.status, 404);
  assert.deepEqual(((await missing.json()) as { error: { code: string } }).error.code, 'NOT_FOUND');
  const foreign = await fetch(`${em.url}/v1/outbox/nothing-here`, { headers: { Origin: 'https://evil.example' } });
  assert.equal(foreign.status, 403);
  const wrongMethod = await fetch(`${em.url}/v1/stats`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
  assert.equal(wrongMethod.status, 404);
  assert.match(((await wrongMethod.json()) as { error: { message: string } }).error.message, /no such endpoint: POST \/v1\/stats/);
});

test('a control body is read as express.json read it: none, empty, malformed, not UTF-8; a bad %-escape in a path is a 400', async () => {
  const post = (body?: BodyInit): Promise<Response> =>
    fetch(`${em.url}/v1/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, ...(body === undefined ? {} : { body }) });
  for (const [body, code] of [
    [undefined, 'BAD_REQUEST'],
    ['', 'BAD_REQUEST'],
    ['{"call":', 'BAD_REQUEST'],
    [new Uint8Array([0x22, 0xff, 0x22]), 'BAD_REQUEST'],
  ] as const) {
    const res = await post(body);
    assert.equal(res.status, 400, String(body));
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, code);
  }
  const bad = await fetch(`${em.url}/v1/presence/%E0%A4%A`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: '"away"' });
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { error: { message: string } }).error.message, /Failed to decode param/);
  const ok = await fetch(`${em.url}/v1/presence/bob%40example.com`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: '"away"' });
  assert.equal(ok.status, 200);
  assert.equal(((await ok.json()) as { jid: string }).jid, 'bob@example.com');
});
