// The console's server side: the page and bundle at / and /ui/, --no-ui in its three spellings, the banner's
// console URL, and the feed's ?since= replay that keeps a reconnecting console consistent.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { engineOf } from '../../src/core/start.js';
import { startEmulator, type RunningEmulator } from '../../src/index.js';
import { fromConfigFile, fromEnv, resolveOptions } from '../../src/options.js';
import { killAll, runCli } from '../cli-process.js';
import { closedPort, getJson, postJson } from '../helpers.js';

let em: RunningEmulator;
before(async () => {
  em = await startEmulator({ port: 0, appUrl: `http://127.0.0.1:${await closedPort()}`, appYaml: null });
});
after(async () => {
  killAll();
  await em.close();
});

test('GET / answers the page with its CSP; a foreign Host is refused (DNS rebinding)', async () => {
  const page = await fetch(`${em.url}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'.*script-src 'self'/);
  assert.equal((await fetch(`${em.url}/ui/style.css`)).status, 200);
  assert.equal((await fetch(`${em.url}/ui/nothing.js`)).status, 404);
  // fetch may not set Host; a raw request can, as a DNS-rebinding page's browser would.
  const rebound = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    http
      .get(`${em.url}/`, { headers: { Host: 'evil.example:80' } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += String(c)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
  assert.equal(rebound.status, 403);
  assert.equal(JSON.parse(rebound.body).error.code, 'FORBIDDEN');
});

test('--no-ui: the flag, XMPP_EMU_NO_UI=1 and the config key "ui": false each turn the console off', async () => {
  assert.equal(resolveOptions({}).ui, true);
  assert.equal(resolveOptions(fromEnv({ XMPP_EMU_NO_UI: '1' })).ui, false);
  assert.equal(resolveOptions(fromEnv({ XMPP_EMU_NO_UI: '0' })).ui, true);
  assert.throws(() => fromEnv({ XMPP_EMU_NO_UI: 'maybe' }), /XMPP_EMU_NO_UI must be 1 or 0/);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'xmpp-emu-ui-')), 'xmpp-emu.config.json');
  fs.writeFileSync(file, JSON.stringify({ ui: false }));
  assert.equal(resolveOptions(fromConfigFile(file, true)).ui, false);

  const on = runCli(['start', '--port', '0', '--no-repl']);
  const banner = await on.waitFor(/export XMPP_EMULATOR_HOST=\S+/);
  const url = /emulator\s+(http:\/\/\S+)/.exec(banner)![1]!;
  assert.match(banner, new RegExp(`console\\s+${url.replace(/[.:/]/g, '\\$&')}/`));
  on.child.kill('SIGTERM');
  for (const [args, env] of [
    [['--no-ui'], {}],
    [[], { XMPP_EMU_NO_UI: '1' }],
  ] as const) {
    const off = runCli(['start', '--port', '0', '--no-repl', ...args], env);
    const text = await off.waitFor(/export XMPP_EMULATOR_HOST=\S+/);
    assert.doesNotMatch(text, /console/);
    const offUrl = /emulator\s+(http:\/\/\S+)/.exec(text)![1]!;
    const r = await getJson(offUrl, '/');
    assert.equal(r.status, 404);
    assert.match(r.body.error.message, /console is off/);
    off.child.kill('SIGTERM');
    assert.equal(await off.exited, 0);
  }
});

/** A feed subscriber: `upTo(n)` resolves once n events (after hello) have arrived. */
function openFeed(url: string): { hello: Promise<any>; events: any[]; upTo(n: number): Promise<any[]>; ws: WebSocket } {
  const ws = new WebSocket(url);
  const events: any[] = [];
  const waiters: Array<{ n: number; resolve: (e: any[]) => void }> = [];
  let gotHello: (h: any) => void = () => undefined;
  const hello = new Promise<any>((resolve) => (gotHello = resolve));
  ws.on('message', (d) => {
    const m = JSON.parse(String(d));
    if (m.type === 'hello') return gotHello(m);
    // The replay comes in batches; live events one per frame. Only what the app sent is counted.
    const sent = (e: any): boolean => e.type === 'sent';
    if (m.type === 'replay') events.push(...m.events.filter(sent));
    else if (sent(m)) events.push(m);
    for (const w of waiters.filter((x) => events.length >= x.n)) w.resolve(events.slice());
  });
  return { hello, events, ws, upTo: (n) => (events.length >= n ? Promise.resolve(events.slice()) : new Promise((resolve) => waiters.push({ n, resolve }))) };
}

test('the feed replays the kept events after ?since=SEQ, then goes live: nothing lost, nothing twice', async () => {
  const ws = em.url.replace('http', 'ws') + '/v1/events';
  const first = openFeed(ws);
  const start = (await first.hello).last_seq as number;
  first.ws.close();
  for (const body of ['one', 'two', 'three']) assert.equal((await postJson(em.url, '/v1/xmpp/send_message', { jids: 'r@example.com', body })).status, 200);
  const all = openFeed(`${ws}?since=${start}`);
  const three = await all.upTo(3);
  assert.deepEqual(
    three.map((e) => e.entry.body),
    ['one', 'two', 'three'],
  );
  const seqs = three.map((e) => e.seq);
  // A send is one event (its `sent`), so three sends are three consecutive events.
  assert.deepEqual(seqs, [start + 1, start + 2, start + 3]);
  all.ws.close();
  // A client that saw "one" asks for what came after it, then gets the next live event, each once.
  const resumed = openFeed(`${ws}?since=${seqs[0]}`);
  assert.deepEqual(
    (await resumed.upTo(2)).map((e) => e.entry.body),
    ['two', 'three'],
  );
  await postJson(em.url, '/v1/xmpp/send_message', { jids: 'r@example.com', body: 'four' });
  await postJson(em.url, '/v1/xmpp/send_message', { jids: 'r@example.com', body: 'five' });
  assert.deepEqual(
    (await resumed.upTo(4)).map((e) => e.entry.body),
    ['two', 'three', 'four', 'five'],
  );
  resumed.ws.close();
  const bad = await new Promise<number>((resolve) => new WebSocket(`${ws}?since=-1`).on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
  assert.equal(bad, 400);
});

test('GET /v1/app says whether the app answers at its URL', async () => {
  const r = await getJson(em.url, '/v1/app');
  assert.equal(r.status, 200);
  assert.equal(r.body.apps.length, 1);
  assert.equal(r.body.apps[0].answers, false);
  assert.match(r.body.apps[0].reason, /connection refused/);
  const up = await startEmulator({ port: 0, appUrl: em.url, appYaml: null });
  try {
    // The emulator itself stands in for an app here: it answers (with 404 at "/"... or its console).
    const a = (await getJson(up.url, '/v1/app')).body.apps[0];
    assert.equal(a.answers, true);
    assert.equal(typeof a.status, 'number');
  } finally {
    await up.close();
  }
});

test('a long replay comes in frames of up to 500 events, in order, each once', async () => {
  const before = openFeed(em.url.replace('http', 'ws') + '/v1/events');
  const start = (await before.hello).last_seq as number;
  before.ws.close();
  const engine = engineOf(em);
  for (let i = 1; i <= 1200; i++) engine.sendMessage({ jids: 'bulk@example.com', body: `bulk ${i}` });
  const ws = new WebSocket(`${em.url.replace('http', 'ws')}/v1/events?since=${start}`);
  const sizes: number[] = [];
  const seqs: number[] = [];
  await new Promise<void>((resolve, reject) => {
    ws.on('message', (d) => {
      const m = JSON.parse(String(d));
      if (m.type !== 'replay') return;
      sizes.push(m.events.length);
      seqs.push(...m.events.map((e: { seq: number }) => e.seq));
      if (seqs.length >= 1200) resolve();
    });
    ws.on('error', reject);
  });
  ws.close();
  assert.deepEqual(sizes, [500, 500, 200]);
  assert.deepEqual(
    seqs,
    Array.from({ length: 1200 }, (_, i) => start + 1 + i),
  );
});
