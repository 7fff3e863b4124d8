// Namespaces: parallel test workers share one emulator and one bot, and none sees another's entries, faults or
// clock. Chosen by path prefix or header, guarded like the rest; reset and deleted one at a time.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { startEmulator, type RunningEmulator } from '../../src/index.js';
import { startEchoBot, type RunningBot } from '../../fixtures/echo-bot/bot.js';
import type { ClientOptions } from '../../src/client/index.js';
import WebSocket from 'ws';
import { getJson, postJson } from '../helpers.js';

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'namespace-worker.js');
const WORKERS = 8;

let em: RunningEmulator;
let bot: RunningBot;
before(async () => {
  // The bot replies through the SDK, which sends each delivery's ticket back: that leads a reply to its namespace.
  const client: ClientOptions = {};
  bot = await startEchoBot({ port: 0, client });
  em = await startEmulator({ port: 0, appYaml: null, appUrl: bot.url });
  client.host = em.env.XMPP_EMULATOR_HOST;
});
after(async () => {
  await em.close();
  await bot.close();
});

test(`${WORKERS} parallel workers, one namespace each: none sees another's entries, faults or clock`, async () => {
  const runs = Array.from({ length: WORKERS }, (_, i) => promisify(execFile)(process.execPath, [WORKER, em.url, `worker-${i}`, String(i)]));
  const reports = (await Promise.all(runs)).map((r) => JSON.parse(r.stdout) as Record<string, unknown>);
  for (const [i, r] of reports.entries()) {
    assert.deepEqual(
      r,
      { name: `worker-${i}`, count: 12, foreign: 0, years: [String(2030 + i)], statuses: [i % 2 === 1 ? 2 : 0], faults: i % 2 },
      `worker ${i}`,
    );
  }
  assert.deepEqual(await em.outbox(), [], 'the default namespace saw nothing');
  const { body } = await getJson(em.url, '/v1/namespaces');
  assert.equal(body.namespaces.length, WORKERS + 1);
});

test('a namespace by path prefix or header; reset and delete one at a time; the prefix passes the same guard', async () => {
  const a = em.namespace('team-a');
  assert.equal(a.url, `${em.url}/ns/team-a`);
  await postJson(em.url, '/ns/team-a/v1/xmpp/send_message', { jids: 'x@example.com', body: 'by prefix' });
  await postJson(em.url, '/v1/xmpp/send_message', { jids: 'x@example.com', body: 'by header' }, { 'X-XMPP-Emu-Namespace': 'team-a' });
  assert.deepEqual(
    (await a.outbox()).map((e) => e.body),
    ['by prefix', 'by header'],
  );
  assert.deepEqual((await getJson(em.url, '/v1/outbox', { headers: { 'X-XMPP-Emu-Namespace': 'team-a' } })).body.entries.length, 2);
  assert.deepEqual((await em.outbox({ to: 'x@example.com' })).length, 0);
  const b = em.namespace();
  assert.match(b.namespace, /^test-\d+-\d+$/);
  assert.notEqual(em.namespace().namespace, b.namespace, 'each call gives a fresh one');
  await b.addFault({ call: 'send_message', error: 'OVER_QUOTA' });
  assert.equal((await postJson(em.url, `/ns/${b.namespace}/v1/xmpp/send_message`, { jids: 'x@example.com', body: 'no' })).status, 429);
  assert.equal((await postJson(em.url, '/ns/team-a/v1/xmpp/send_message', { jids: 'x@example.com', body: 'yes' })).status, 200, "b's fault is b's alone");
  await postJson(em.url, '/ns/team-a/v1/reset', {});
  assert.deepEqual(await a.outbox(), []);
  assert.equal((await postJson(em.url, `/ns/${b.namespace}/v1/reset`, {})).status, 200);
  assert.deepEqual(await b.listFaults(), []);
  const foreign = await fetch(`${em.url}/ns/team-a/v1/outbox`, { headers: { Origin: 'http://evil.example' } });
  assert.equal(foreign.status, 403);
  const badName = await getJson(em.url, '/ns/no%20spaces/v1/outbox');
  assert.equal(badName.status, 400);
  assert.match(badName.body.error.message, /namespace "no spaces" must be/);
  assert.equal((await fetch(`${em.url}/ns/team-a/v1/namespace`, { method: 'DELETE' })).status, 200);
  assert.ok(!(await getJson(em.url, '/v1/namespaces')).body.namespaces.some((n: { name: string }) => n.name === 'team-a'));
  assert.equal((await fetch(`${em.url}/v1/namespace`, { method: 'DELETE' })).status, 400, 'the default cannot be deleted');
});

test("/ns/NAME/v1/events streams only that namespace's events (replay included); /v1/events every namespace's", async () => {
  type Frame = { type: string; namespace?: string; entry?: { body: string }; events?: Frame[] };
  const base = em.url.replace('http', 'ws');
  const open = async (path: string, headers: Record<string, string> = {}) => {
    const ws = new WebSocket(`${base}${path}`, { headers });
    const got: Frame[] = [];
    const bodies = (): string[] => got.flatMap((e) => (e.type === 'replay' ? e.events! : [e])).flatMap((e) => (e.type === 'sent' ? [e.entry!.body] : []));
    const seen = (body: string) =>
      new Promise<void>((resolve) => (bodies().includes(body) ? resolve() : ws.on('message', () => bodies().includes(body) && resolve())));
    ws.on('message', (d) => got.push(JSON.parse(String(d)) as Frame));
    await new Promise((r) => ws.once('open', r));
    return { ws, got, bodies, seen };
  };
  await postJson(em.url, '/ns/feed-a/v1/xmpp/send_message', { jids: 'x@example.com', body: 'a, before anyone listened' });
  const every = await open('/v1/events');
  const a = await open('/ns/feed-a/v1/events?since=0');
  const b = await open('/v1/events', { 'X-XMPP-Emu-Namespace': 'feed-b' });
  for (const [ns, body] of [
    ['feed-a', 'a1'],
    ['feed-b', 'b1'],
    ['feed-a', 'a2'],
  ])
    await postJson(em.url, `/ns/${ns}/v1/xmpp/send_message`, { jids: 'x@example.com', body });
  await postJson(em.url, '/v1/xmpp/send_message', { jids: 'x@example.com', body: 'default' });
  await Promise.all([every.seen('default'), a.seen('a2'), b.seen('b1')]);
  assert.deepEqual(a.bodies(), ['a, before anyone listened', 'a1', 'a2']);
  assert.deepEqual([a.got[0]!.type, a.got[0]!.namespace], ['hello', 'feed-a']);
  assert.deepEqual(b.bodies(), ['b1']);
  assert.deepEqual(every.bodies(), ['a1', 'b1', 'a2', 'default']);
  for (const c of [every, a, b]) c.ws.close();
  const refused = new WebSocket(`${base}/ns/bad%20name/v1/events`);
  const status = await new Promise<number>((resolve) => refused.once('unexpected-response', (_req, res) => resolve(res.statusCode!)));
  assert.equal(status, 400);
});
