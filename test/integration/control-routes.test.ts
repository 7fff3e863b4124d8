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
