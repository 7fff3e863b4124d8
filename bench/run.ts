// npm run bench: each figure beside its baseline, measured in one run on this machine; medians of several runs.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import FormData from 'form-data';
import { messageStanza } from '../src/domain/stanza.js';
import { root } from '../src/domain/api-protos.js';
import { startEmulator } from '../src/index.js';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const BIN = here('../../bin/xmpp-emu.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);

interface Child {
  proc: ChildProcess;
  port: number;
  readyMs: number;
}

/** Spawn a server that prints a JSON ready line with its port; resolve once it does. */
function startChild(args: string[]): Promise<Child> {
  const started = performance.now();
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let buf = '';
    let ready = false;
    proc.stdout!.on('data', (d: Buffer) => {
      if (ready) return; // keep draining what the emulator prints, unread
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl === -1) return;
      ready = true;
      const line = JSON.parse(buf.slice(0, nl)) as { port: number };
      resolve({ proc, port: line.port, readyMs: performance.now() - started });
    });
    proc.once('exit', (code) => !ready && reject(new Error(`${args.join(' ')} exited with ${code} before it was ready`)));
  });
}

function stop(c: Child): Promise<void> {
  return new Promise((resolve) => {
    c.proc.once('exit', () => resolve());
    c.proc.kill('SIGTERM');
  });
}

const emulatorArgs = (extra: string[] = []): string[] => [BIN, 'start', '--json', '--no-repl', '--port', '0', ...extra];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

const SEND_BODY = JSON.stringify({ jids: 'alice@example.com', body: 'Someone has sent you a gift on Example.com.' });

interface LoadTarget {
  path: string;
  type: string;
  body: string | Buffer;
}
const JSON_SEND: LoadTarget = { path: '/v1/xmpp/send_message', type: 'application/json', body: SEND_BODY };

async function throughput(port: number, seconds = SECONDS, target = JSON_SEND): Promise<number> {
  const r = await autocannon({
    url: `http://127.0.0.1:${port}${target.path}`,
    method: 'POST',
    headers: { 'content-type': target.type },
    body: target.body,
    connections: 16,
    duration: seconds,
  });
  if (r.non2xx || r.errors) throw new Error(`load run had ${r.non2xx} non-2xx answers and ${r.errors} errors`);
  return r.requests.average;
}

async function sendThroughput(): Promise<[number, number]> {
  const base = await startChild([here('./baseline-server.js')]);
  const emu = await startChild(emulatorArgs());
  const b: number[] = [];
  const e: number[] = [];
  await throughput(base.port, 1); // warm-up
  await throughput(emu.port, 1);
  for (let i = 0; i < RUNS; i++) {
    b.push(await throughput(base.port));
    e.push(await throughput(emu.port));
  }
  await Promise.all([stop(base), stop(emu)]);
  return [median(e), median(b)];
}

// The same SendMessage as the Go SDK puts it on /rpc_http: a remote_api Request around an XmppMessageRequest.
const RPC_SEND: LoadTarget = { path: '/rpc_http', type: 'application/octet-stream', body: Buffer.from(root.lookupType('remote_api.Request').encode({
  service_name: 'xmpp',
  method: 'SendMessage',
  request: root.lookupType('appengine.XmppMessageRequest').encode({ jid: ['alice@example.com'], body: 'Someone has sent you a gift on Example.com.', raw_xml: false }).finish(),
  request_id: 'bench',
}).finish()) };

/** SendMessage over /rpc_http against the JSON path, on one emulator, measured alternately. */
async function rpcThroughput(): Promise<[number, number]> {
  const emu = await startChild(emulatorArgs());
  await throughput(emu.port, 1, RPC_SEND);
  await throughput(emu.port, 1);
  const r: number[] = [];
  const j: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    r.push(await throughput(emu.port, SECONDS, RPC_SEND));
    j.push(await throughput(emu.port));
  }
  await stop(emu);
  return [median(r), median(j)];
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function post(port: number, path: string, body: Buffer | string, headers: Record<string, string | number>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** One client loop, sequential requests, latency of each in ms. */
async function latencies(n: number, once: () => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await once();
    out.push(performance.now() - t);
  }
  return out;
}

async function deliveryLatency(): Promise<{ emu: number[]; inProcess: number[]; direct: number[] }> {
  const app = await startChild([here('./app-server.js')]);
  const emu = await startChild(emulatorArgs(['--app-url', `http://127.0.0.1:${app.port}`]));
  // The test helper's path: the emulator in the client's own process, injecting without an HTTP hop of its own.
  const helper = await startEmulator({ port: 0, appUrl: `http://127.0.0.1:${app.port}`, appYaml: null });
  const viaHelper = async (): Promise<void> => {
    const r = await helper.injectMessage({ from: 'alice@example.com/phone', body: 'hello bot' });
    if (r.status !== 200) throw new Error(`inject answered ${r.status}`);
  };
  const inject = JSON.stringify({ from: 'alice@example.com/phone', body: 'hello bot' });
  const viaEmulator = async (): Promise<void> => {
    const s = await post(emu.port, '/v1/inbound/message', inject, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(inject) });
    if (s !== 200) throw new Error(`inject answered ${s}`);
  };
  // The baseline builds the same multipart request (same encoder, same parts) and posts it straight to the app.
  const direct = async (): Promise<void> => {
    const form = new FormData();
    const fields = { from: 'alice@example.com/phone', to: 'dev-app@appspot.com', body: 'hello bot', stanza: messageStanza({ from: 'alice@example.com/phone', to: 'dev-app@appspot.com', type: 'chat', body: 'hello bot' }) };
    for (const [k, v] of Object.entries(fields)) form.append(k, v, { contentType: k === 'stanza' ? 'text/xml; charset="UTF-8"' : 'text/plain; charset="UTF-8"' });
    const buf = form.getBuffer();
    const s = await post(app.port, '/_ah/xmpp/message/chat/', buf, { ...form.getHeaders(), 'content-length': buf.length, 'X-AppEngine-Fake-Is-Admin': '1', 'X-AppEngine-Fake-Logged-In': '1' });
    if (s !== 200) throw new Error(`app answered ${s}`);
  };
  await latencies(500, viaEmulator);
  await latencies(500, viaHelper);
  await latencies(500, direct);
  const e: number[] = [];
  const h: number[] = [];
  const d: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    e.push(...(await latencies(1000, viaEmulator)));
    h.push(...(await latencies(1000, viaHelper)));
    d.push(...(await latencies(1000, direct)));
  }
  await helper.close();
  await Promise.all([stop(app), stop(emu)]);
  return { emu: e, inProcess: h, direct: d };
}

async function coldStart(): Promise<[number, number]> {
  const e: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < RUNS + 1; i++) {
    const emu = await startChild(emulatorArgs());
    await stop(emu);
    const base = await startChild([here('./baseline-server.js')]);
    await stop(base);
    if (i === 0) continue; // warm the file cache
    e.push(emu.readyMs);
    b.push(base.readyMs);
  }
  return [median(e), median(b)];
}

async function stats(port: number): Promise<{ outbox: { size: number; cap: number; dropped: number }; memory: { rss_bytes: number; heap_used_bytes: number } }> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/stats`);
  return (await res.json()) as never;
}

async function fill(port: number, n: number): Promise<void> {
  const r = await autocannon({ url: `http://127.0.0.1:${port}/v1/xmpp/send_message`, method: 'POST', headers: { 'content-type': 'application/json' }, body: SEND_BODY, connections: 16, amount: n });
  if (r.non2xx || r.errors) throw new Error(`fill had ${r.non2xx} non-2xx answers and ${r.errors} errors`);
}

async function capturedLoad(): Promise<{ emptyRps: number; fullRps: number; heapEmptyMb: number; heapFullMb: number; rssFullMb: number; size: number; cap: number; dropped: number }> {
  // Two emulators measured alternately: one kept full (100k captured, evicting as it goes), one cleared
  // before each run, so drift on the machine hits both sides alike.
  const full = await startChild(emulatorArgs(['--outbox-cap', '100000']));
  const empty = await startChild(emulatorArgs(['--outbox-cap', '100000']));
  await fill(full.port, 100_000);
  const clear = (port: number) => fetch(`http://127.0.0.1:${port}/v1/outbox`, { method: 'DELETE' });
  await throughput(full.port, 1);
  await throughput(empty.port, 1);
  const f: number[] = [];
  const e: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    f.push(await throughput(full.port));
    await clear(empty.port);
    e.push(await throughput(empty.port));
  }
  await clear(empty.port);
  const [sf, se] = [await stats(full.port), await stats(empty.port)];
  await Promise.all([stop(full), stop(empty)]);
  const mb = (b: number): number => Math.round(b / 1024 / 1024);
  return {
    emptyRps: median(e), fullRps: median(f), heapEmptyMb: mb(se.memory.heap_used_bytes), heapFullMb: mb(sf.memory.heap_used_bytes),
    rssFullMb: mb(sf.memory.rss_bytes), size: sf.outbox.size, cap: sf.outbox.cap, dropped: sf.outbox.dropped,
  };
}

function row(cells: string[]): string {
  const widths = [44, 16, 16, 9, 10];
  return cells.map((c, i) => c.padEnd(widths[i] ?? 10)).join(' ');
}

const started = Date.now();
console.log(`xmpp-emu bench: node ${process.version}, ${RUNS} runs of ${SECONDS}s each (BENCH_RUNS, BENCH_SECONDS)\n`);
const [emuRps, baseRps] = await sendThroughput();
const [rpcRps, jsonRps] = await rpcThroughput();
const lat = await deliveryLatency();
const [emuStart, baseStart] = await coldStart();
const load = await capturedLoad();
agent.destroy();

const f = (n: number, d = 0): string => n.toFixed(d);
const results = [
  ['send_message throughput (req/s)', f(emuRps), f(baseRps), f(emuRps / baseRps, 2), '≥ 0.80', emuRps / baseRps >= 0.8],
  ['SendMessage over /rpc_http vs JSON (req/s)', f(rpcRps), f(jsonRps), f(rpcRps / jsonRps, 2), '≥ 0.91', jsonRps / rpcRps <= 1.1],
  ['inject → delivered p50, test helper (ms)', f(median(lat.inProcess), 3), f(median(lat.direct), 3), f(median(lat.inProcess) / median(lat.direct), 2), '≤ 1.30', median(lat.inProcess) / median(lat.direct) <= 1.3],
  ['inject → delivered p99, test helper (ms)', f(percentile(lat.inProcess, 99), 3), f(percentile(lat.direct, 99), 3), f(percentile(lat.inProcess, 99) / percentile(lat.direct, 99), 2), '', true],
  ['inject → delivered p50, control API (ms)', f(median(lat.emu), 3), f(median(lat.direct), 3), f(median(lat.emu) / median(lat.direct), 2), '≤ 1.30', median(lat.emu) / median(lat.direct) <= 1.3],
  ['inject → delivered p99, control API (ms)', f(percentile(lat.emu, 99), 3), f(percentile(lat.direct, 99), 3), f(percentile(lat.emu, 99) / percentile(lat.direct, 99), 2), '', true],
  ['cold start to ready (ms)', f(emuStart), f(baseStart), f(emuStart / baseStart, 2), '≤ 1.50', emuStart / baseStart <= 1.5],
  ['throughput with 100k captured (req/s)', f(load.fullRps), f(load.emptyRps), f(load.fullRps / load.emptyRps, 2), '≥ 0.90', load.fullRps / load.emptyRps >= 0.9],
] as const;
console.log(row(['measure', 'xmpp-emu', 'baseline', 'ratio', 'target']));
for (const [name, a, b, r, t, ok] of results) console.log(row([name, a, b, r, `${t}${t ? (ok ? ' ✓' : ' ✗') : ''}`]));
console.log(`\nbaselines: a bare express endpoint parsing the same JSON; the emulator's own JSON send_message for /rpc_http (within 1.1×); a direct multipart POST of the same parts to the same app`);
console.log(`(express + multer, one sequential client over keep-alive); a bare express server's start; the emulator's own throughput with an empty outbox, measured alternately.`);
console.log(`The control API row is two loopback HTTP round trips (client → emulator → app) against the baseline's one.`);
console.log(`100k captured: outbox ${load.size}/${load.cap} (cap held), ${load.dropped} dropped and counted; heap ${load.heapFullMb} MB full vs ${load.heapEmptyMb} MB empty, RSS ${load.rssFullMb} MB.`);
console.log(`total ${Math.round((Date.now() - started) / 1000)} s`);
