import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startEmulator, type RunningEmulator } from '../../src/index.js';
import { killAll, runCli } from '../cli-process.js';
import { getJson, postJson, startTestApp, type TestApp } from '../helpers.js';

let app: TestApp;
let em: RunningEmulator;
before(async () => {
  app = await startTestApp();
  em = await startEmulator({ port: 0, appUrl: app.url, appYaml: null, deliveryTimeoutMs: 300 });
});
after(async () => {
  killAll();
  await em.close();
  await app.close();
});

interface Endpoint {
  method: 'POST' | 'PUT';
  path: string;
  /** a valid request, mutated one field at a time */
  base: Record<string, unknown>;
  jidFields: string[];
  textFields: string[];
  typeField?: string;
}

const ENDPOINTS: Endpoint[] = [
  {
    method: 'POST',
    path: '/v1/xmpp/send_message',
    base: { jids: 'a@example.com', body: 'hi' },
    jidFields: ['jids', 'from_jid'],
    textFields: ['body'],
    typeField: 'message_type',
  },
  { method: 'POST', path: '/v1/xmpp/send_invite', base: { jid: 'a@example.com' }, jidFields: ['jid', 'from_jid'], textFields: [] },
  { method: 'POST', path: '/v1/xmpp/get_presence', base: { jid: 'a@example.com' }, jidFields: ['jid', 'from_jid'], textFields: [] },
  {
    method: 'POST',
    path: '/v1/xmpp/send_presence',
    base: { jid: 'a@example.com' },
    jidFields: ['jid', 'from_jid'],
    textFields: ['status'],
    typeField: 'presence_type',
  },
  {
    method: 'POST',
    path: '/v1/inbound/message',
    base: { from: 'a@example.com', body: 'hi' },
    jidFields: ['from', 'to'],
    textFields: ['body'],
    typeField: 'type',
  },
  { method: 'POST', path: '/v1/inbound/presence', base: { from: 'a@example.com' }, jidFields: ['from', 'to'], textFields: ['status'], typeField: 'type' },
  {
    method: 'POST',
    path: '/v1/inbound/subscription',
    base: { from: 'a@example.com', type: 'subscribe' },
    jidFields: ['from', 'to'],
    textFields: [],
    typeField: 'type',
  },
  { method: 'POST', path: '/v1/inbound/error', base: { from: 'a@example.com' }, jidFields: ['from', 'to'], textFields: ['stanza'] },
  { method: 'PUT', path: '/v1/presence/a%40example.com', base: { available: true }, jidFields: [], textFields: ['status'] },
];

const LONG_JID = `${'n'.repeat(5000)}@example.com`;
const BAD_JIDS: unknown[] = [
  '',
  'no-at-sign',
  '<script>@example.com',
  'a@<b>.com',
  'nul\u0000@example.com',
  'bell@example.com/\u0007',
  LONG_JID,
  ['a@example.com', 7],
  { jid: 'a@example.com' },
  42,
  true,
];
const BAD_TEXT: unknown[] = ['control \u0001 char', '\uFFFE', '\ud800 lone surrogate', ['an', 'array'], { an: 'object' }, 12];
const BAD_TYPES: unknown[] = ['shout', 'CHAT ', '<chat>', 5, ['chat']];

function send(e: Endpoint, body: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  return fetch(`${em.url}${e.path}`, {
    method: e.method,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : new Uint8Array(body),
  }).then(async (r) => ({ status: r.status, body: await r.json().catch(() => null) }));
}

test('every endpoint answers hostile input with a 4xx and a coded error; the process lives and the outbox is intact', async () => {
  await postJson(em.url, '/v1/xmpp/send_message', { jids: 'keep@example.com', body: 'keep me' });
  const before = (await getJson(em.url, '/v1/outbox')).body.entries;
  let cases = 0;
  const check = (name: string, r: { status: number; body: any }): void => {
    cases++;
    assert.ok(r.status >= 400 && r.status < 500, `${name}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
    assert.equal(typeof r.body?.error?.code, 'string', `${name}: coded error body`);
    assert.ok(r.body.error.message.length > 0, name);
  };
  for (const e of ENDPOINTS) {
    const name = (what: string) => `${e.method} ${e.path}: ${what}`;
    check(name('malformed JSON'), await send(e, '{"a": '));
    check(name('a bare array'), await send(e, '[1, 2]'));
    check(name('a bare string'), await send(e, '"hello"'));
    check(name('2 MB body'), await send(e, JSON.stringify({ ...e.base, pad: 'x'.repeat(2 * 1024 * 1024) })));
    check(name('invalid UTF-8'), await send(e, Buffer.concat([Buffer.from('{"body": "'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')])));
    check(name('unknown field'), await send(e, JSON.stringify({ ...e.base, surprise: 1 })));
    if (e.method === 'POST') check(name('missing fields'), await send(e, '{}'));
    // An empty from_jid is the default sender, as the service read it: not hostile.
    for (const f of e.jidFields)
      for (const v of BAD_JIDS.filter((j) => !(f === 'from_jid' && j === '')))
        check(name(`${f}=${JSON.stringify(v).slice(0, 40)}`), await send(e, JSON.stringify({ ...e.base, [f]: v })));
    for (const f of e.textFields) for (const v of BAD_TEXT) check(name(`${f}=${JSON.stringify(v)}`), await send(e, JSON.stringify({ ...e.base, [f]: v })));
    if (e.typeField)
      for (const v of BAD_TYPES) check(name(`${e.typeField}=${JSON.stringify(v)}`), await send(e, JSON.stringify({ ...e.base, [e.typeField]: v })));
  }
  for (const q of ['kind=letters', 'since=-1', 'since=abc', 'matches=(', 'limit=0', 'to=a&to=b'])
    check(`GET /v1/outbox?${q}`, await getJson(em.url, `/v1/outbox?${q}`));
  for (const q of ['timeout_ms=-5', 'timeout_ms=99999999', 'timeout_ms=soon']) check(`GET /v1/outbox/wait?${q}`, await getJson(em.url, `/v1/outbox/wait?${q}`));
  assert.ok(cases > 250, `${cases} cases`);
  assert.equal((await getJson(em.url, '/healthz')).status, 200);
  const afterEntries = (await getJson(em.url, '/v1/outbox')).body.entries;
  assert.deepEqual(afterEntries, before, 'nothing captured was lost, nothing bad was captured');
});

test('markup in a body is content, not structure: accepted, and escaped in the stanza the app receives', async () => {
  const body = '<script>alert(1)</script></body></message><message>&amp;';
  const sent = await postJson(em.url, '/v1/xmpp/send_message', { jids: 'x@example.com', body });
  assert.deepEqual(sent.body, { statuses: [0] });
  const r = await em.injectMessage({ from: 'x@example.com', body });
  assert.equal(r.delivered, true);
  const got = app.received.at(-1)!;
  assert.equal(got.fields.body, body);
  assert.ok(got.fields.stanza!.includes('&lt;/body&gt;&lt;/message&gt;&lt;message&gt;&amp;amp;'));
});

test('a slow or dead app never blocks the service API: calls answer while deliveries hang', async () => {
  // Its own emulator with a long delivery timeout, so the check does not race a timer on a loaded machine: the
  // deliveries end only when the hanging app goes away.
  const hanging = await startTestApp();
  hanging.respond = 'hang';
  const slow = await startEmulator({ port: 0, appUrl: hanging.url, appYaml: null, deliveryTimeoutMs: 120_000 });
  try {
    let settled = 0;
    const twenty = Array.from({ length: 20 }, (_, i) => slow.injectMessage({ from: 'a@example.com', body: `hang ${i}` }).then((r) => (settled++, r)));
    while (hanging.received.length < 20) await hanging.next();
    const calls = await Promise.all(
      Array.from({ length: 50 }, (_, i) => postJson(slow.url, '/v1/xmpp/send_message', { jids: 'a@example.com', body: `meanwhile ${i}` })),
    );
    assert.ok(calls.every((c) => c.status === 200));
    assert.equal(settled, 0, 'every service call answered while all 20 deliveries were still pending');
    await hanging.close();
    const results = await Promise.all(twenty);
    assert.ok(results.every((r) => !r.delivered));
  } finally {
    await slow.close();
    await hanging.close();
  }
});

test('SIGTERM during a burst of sends: every call that got a 200 is in the transcript', async () => {
  const record = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'xmpp-emu-burst-')), 'events.jsonl');
  const c = runCli(['start', '--json', '--port', '0', '--no-repl', '--record', record, '--app-url', app.url]);
  const { url } = JSON.parse((await c.waitFor(/\n/)).split('\n')[0]!);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const ok: string[] = [];
  let n = 0;
  let stopped = false;
  const loop = async (): Promise<void> => {
    while (!stopped) {
      const body = `burst ${n++}`;
      const status = await new Promise<number>((resolve) => {
        const req = http.request(`${url}/v1/xmpp/send_message`, { method: 'POST', agent, headers: { 'Content-Type': 'application/json' } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        });
        req.on('error', () => resolve(0));
        req.end(JSON.stringify({ jids: 'burst@example.com', body }));
      });
      if (status === 200) ok.push(body);
      if (status === 0) stopped = true;
      if (ok.length === 300) c.child.kill('SIGTERM');
    }
  };
  await Promise.all(Array.from({ length: 8 }, loop));
  assert.equal(await c.exited, 0);
  agent.destroy();
  assert.ok(ok.length >= 300);
  const recorded = new Set(
    fs
      .readFileSync(record, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((e) => e.type === 'sent')
      .map((e) => e.entry.body),
  );
  const missing = ok.filter((b) => !recorded.has(b));
  assert.deepEqual(missing, [], `${ok.length} answered 200; all must be recorded`);
});
