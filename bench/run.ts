// npm run bench: each figure beside its fair baseline, measured side by side in one run; medians of several runs.
// Throughput rows print req/s and the server's main-thread CPU time per request (the steadier figure on a shared
// machine); their ratio is baseline CPU ÷ emulator CPU, i.e. the throughput one core would give each.
import { spawn } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { appClient } from '../src/core/deliver.js';
import { startEmulator } from '../src/index.js';
import { closeAgent, cpuMicros, latencies, load, median, percentile, post, startChild, stop, type Child, type LoadResult } from './measure.js';
import { rpcHttpRow } from './rpc-http.js';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const BIN = here('../../bin/xmpp-emu.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const SCALE = Number(process.env.BENCH_SCALE ?? 1_000_000);

const emulatorArgs = (extra: string[] = []): string[] => [BIN, 'start', '--no-repl', '--port', '0', ...extra];
const SEND = '/v1/xmpp/send_message';
const SMALL = JSON.stringify({ jids: 'alice@example.com', body: 'Someone has sent you a gift on Example.com.' });
const LARGE = JSON.stringify({
  jids: 'alice@example.com',
  body: 'Someone has sent you a gift on <Example.com> & more. '.repeat(Math.ceil(50_000 / 52)).slice(0, 50_000),
});

interface Row {
  name: string;
  emu: string;
  base: string;
  ratio: number;
  target: string;
  ok: boolean | null;
}
const rows: Row[] = [];
const f = (n: number, d = 0): string => n.toFixed(d);
const fmtLoad = (r: LoadResult): string => `${f(r.rps)}/s ${f(r.cpuUs, 1)}µs`;

function row(name: string, emu: string, base: string, ratio: number, target: string, ok: boolean | null): void {
  rows.push({ name, emu, base, ratio, target, ok });
  console.error(`  ${name}: ${emu} vs ${base} → ${ratio.toFixed(2)}`);
}

/** A and B alternately, RUNS times each after a warm-up; the medians of req/s and of CPU per request. */
async function sideBySide(a: () => Promise<LoadResult>, b: () => Promise<LoadResult>): Promise<[LoadResult, LoadResult]> {
  await a();
  await b();
  const ra: LoadResult[] = [];
  const rb: LoadResult[] = [];
  for (let i = 0; i < RUNS; i++) {
    ra.push(await a());
    rb.push(await b());
  }
  const m = (xs: LoadResult[]): LoadResult => ({ rps: median(xs.map((x) => x.rps)), cpuUs: median(xs.map((x) => x.cpuUs)) });
  return [m(ra), m(rb)];
}

async function throughputRows(): Promise<void> {
  const node = await startChild([here('./baseline-node.js')]);
  const express = await startChild([here('./baseline-server.js')]);
  const json = await startChild(emulatorArgs(['--json']));
  const human = await startChild(emulatorArgs());
  const cases: Array<[string, Child, string, number, string]> = [
    ['send_message, small, 16 conn, --json console', json, SMALL, 16, '≥ 0.50'],
    ['send_message, small, 64 conn, --json console', json, SMALL, 64, '≥ 0.50'],
    ['send_message, small, 16 conn, human console', human, SMALL, 16, '≥ 0.50'],
    ['send_message, 50 KB, 16 conn, human console', human, LARGE, 16, '≥ 0.60'],
    ['send_message, 50 KB, 16 conn, --json console', json, LARGE, 16, '≥ 0.60'],
  ];
  for (const [name, emu, body, conns, target] of cases) {
    const [e, b] = await sideBySide(
      () => load(emu, SEND, body, conns, SECONDS),
      () => load(node, SEND, body, conns, SECONDS),
    );
    const ratio = b.cpuUs / e.cpuUs;
    row(`${name} (vs bare node:http)`, fmtLoad(e), fmtLoad(b), ratio, target, ratio >= Number(target.slice(2)));
    if (body === SMALL && conns === 16 && emu === json) {
      const x = await load(express, SEND, body, conns, SECONDS);
      row('  the same vs a bare express endpoint', fmtLoad(e), fmtLoad(x), x.cpuUs / e.cpuUs, '', null);
    }
  }
  // Issue 14: 100 feed clients reading every event cost at most 1.5x the CPU of none.
  const withClients = async (): Promise<LoadResult> => {
    const clients = await Promise.all(Array.from({ length: 100 }, () => openFeed(json.port)));
    try {
      return await load(json, SEND, SMALL, 16, SECONDS);
    } finally {
      clients.forEach((c) => c.terminate());
    }
  };
  const [withFeed, noFeed] = await sideBySide(withClients, () => load(json, SEND, SMALL, 16, SECONDS));
  const ratio = withFeed.cpuUs / noFeed.cpuUs;
  row('feed: CPU per send with 100 clients vs none', `${f(withFeed.cpuUs, 1)}µs`, `${f(noFeed.cpuUs, 1)}µs`, ratio, '≤ 1.50', ratio <= 1.5);
  await Promise.all([stop(node), stop(express), stop(json), stop(human)]);
}

async function openFeed(port: number): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/events`);
  ws.on('message', () => undefined);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return ws;
}

/** Latencies of /healthz, asked by a separate process for as long as `during` runs. */
async function healthDuring(port: number, during: () => Promise<void>): Promise<number[]> {
  const p = spawn(process.execPath, [here('./probe.js'), String(port)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d));
  while (!out.includes('probing')) await new Promise((resolve) => p.stdout.once('data', resolve));
  await during();
  p.stdin.end();
  await new Promise((resolve) => p.once('exit', resolve));
  return JSON.parse(out.trim().split('\n').at(-1)!) as number[];
}

interface Registered {
  /** the probe's /healthz latencies (ms) while the waits registered (none when not probed) */
  health: number[];
  /** the server's main-thread CPU per wait registered (µs) */
  cpuUs: number;
  /** hang up every wait */
  release(): void;
}

/** 1,000 long-polls for recipients that get nothing, registered 16 at a time (a test suite's workers), while another
 * process asks /healthz in a loop (`probed`). The waits stay pending until release(). */
async function registerWaits(server: Child, probed: boolean): Promise<Registered> {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const requests: http.ClientRequest[] = [];
  const register = (i: number): Promise<void> =>
    new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port: server.port, path: `/v1/outbox/wait?to=nobody${i}@example.com&timeout_ms=600000`, agent });
      req.on('error', () => undefined);
      requests.push(req);
      req.on('finish', () => resolve());
    });
  let cpu = 0;
  const registerAll = async (): Promise<void> => {
    const before = cpuMicros(server.proc.pid!);
    for (let i = 0; i < 1000; i += 16) {
      await Promise.all(Array.from({ length: Math.min(16, 1000 - i) }, (_, k) => register(i + k)));
      // The server has taken this batch once it answers a request sent after it.
      await fetch(`http://127.0.0.1:${server.port}/healthz`);
    }
    cpu = cpuMicros(server.proc.pid!) - before;
  };
  const health = probed ? await healthDuring(server.port, registerAll) : (await registerAll(), []);
  return {
    health,
    cpuUs: cpu / 1000,
    release: () => {
      requests.forEach((r) => r.destroy());
      agent.destroy();
    },
  };
}

/** A fresh server, 1,000 waits registered on it; stopped with them unless `keep`. */
async function freshWaits(args: string[], probed: boolean, keep = false): Promise<Registered & { child: Child }> {
  const child = await startChild(args);
  const waits = await registerWaits(child, probed);
  if (!keep) {
    waits.release();
    await stop(child);
  }
  return { ...waits, child };
}

/** Bytes of heap one pending long-poll keeps alive (bench/wait-heap.ts, in a process of its own). */
function waitHeap(server: 'emulator' | 'bare'): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--expose-gc', here('./wait-heap.js'), server], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    p.stdout.on('data', (d: Buffer) => (text += d));
    p.on('exit', (code) =>
      code === 0
        ? resolve((JSON.parse(text.trim().split('\n').at(-1)!) as { bytesPerWait: number }).bytesPerWait)
        : reject(new Error(`wait-heap.js exited with ${code}`)),
    );
  });
}

async function waiterRows(): Promise<void> {
  // /healthz while 1,000 waits register, side by side with a bare node:http server holding the same long-polls
  // (bench/baseline-wait.ts), alternating, a fresh server each run; the medians of RUNS runs. On a shared 2-core
  // machine the probe's worst case also holds what the scheduler does to three busy processes, which the bare
  // server shows.
  // The CPU per wait is taken on other fresh servers without the probe: how many /healthz the probe gets answered
  // varies from run to run (about 300 to 6,000), and their cost would count as the waits'.
  const emu: Registered[] = [];
  const bare: Registered[] = [];
  const emuCpu: number[] = [];
  const bareCpu: number[] = [];
  let pending: (Registered & { child: Child }) | null = null;
  for (let i = 0; i < RUNS; i++) {
    const e = await freshWaits(emulatorArgs(['--json']), true, i === RUNS - 1);
    emu.push(e);
    if (i === RUNS - 1) pending = e;
    bare.push(await freshWaits([here('./baseline-wait.js')], true));
    emuCpu.push((await freshWaits(emulatorArgs(['--json']), false)).cpuUs);
    bareCpu.push((await freshWaits([here('./baseline-wait.js')], false)).cpuUs);
  }
  const quiet = await startChild(emulatorArgs(['--json']));
  const [w, q] = await sideBySide(
    () => load(pending!.child, SEND, SMALL, 16, SECONDS),
    () => load(quiet, SEND, SMALL, 16, SECONDS),
  );
  const ratio = w.cpuUs / q.cpuUs;
  row('send_message CPU with 1,000 pending waits vs none', `${f(w.cpuUs, 1)}µs`, `${f(q.cpuUs, 1)}µs`, ratio, '≤ 1.10', ratio <= 1.1);
  const worst = (rs: Registered[]): number => median(rs.map((r) => Math.max(...r.health)));
  const p50 = (rs: Registered[]): number => median(rs.map((r) => median(r.health)));
  const probes = median(emu.map((r) => r.health.length));
  const [ew, bw] = [worst(emu), worst(bare)];
  row(
    `/healthz worst of ~${probes} while 1,000 waits register (ms)`,
    `${f(ew, 1)} p50 ${f(p50(emu), 1)}`,
    `${f(bw, 1)} p50 ${f(p50(bare), 1)}`,
    ew / bw,
    '≤ 10 ms',
    ew <= 10,
  );
  const [ec, bc] = [median(emuCpu), median(bareCpu)];
  row('  main-thread CPU per wait registered (µs)', f(ec, 1), f(bc, 1), ec / bc, '', null);
  const [eb, bb] = [await waitHeap('emulator'), await waitHeap('bare')];
  row('  heap kept per pending wait after forced GC (bytes)', f(eb), f(bb), eb / bb, '', null);
  pending!.release();
  await Promise.all([stop(pending!.child), stop(quiet)]);
}

/** Capture the exact request the emulator sends the app, so the direct baseline posts the same bytes, pre-built. */
async function capturedDelivery(): Promise<{ body: Buffer; headers: Record<string, string> }> {
  let got: { body: Buffer; headers: Record<string, string> } | null = null;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const h: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && !['host', 'connection'].includes(k)) h[k] = v;
      got = { body: Buffer.concat(chunks), headers: h };
      res.writeHead(200, { 'Content-Length': 0 }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const em = await startEmulator({ port: 0, appUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}`, appYaml: null });
  await em.injectMessage({ from: 'alice@example.com/phone', body: 'hello bot' });
  await em.close();
  server.close();
  return got!;
}

async function latencyRows(): Promise<void> {
  const app = await startChild([here('./app-server.js')]);
  const node = await startChild([here('./baseline-node.js')]);
  const emu = await startChild(emulatorArgs(['--json', '--app-url', `http://127.0.0.1:${app.port}`]));
  const helper = await startEmulator({ port: 0, appUrl: `http://127.0.0.1:${app.port}`, appYaml: null });
  const delivery = await capturedDelivery();
  const inject = JSON.stringify({ from: 'alice@example.com/phone', body: 'hello bot' });
  const json = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(inject)) };
  const ok = (s: number): void => {
    if (s !== 200) throw new Error(`answered ${s}`);
  };
  const viaHelper = async (): Promise<void> => ok((await helper.injectMessage({ from: 'alice@example.com/phone', body: 'hello bot' })).status ?? 0);
  // Direct legs go through undici, the fastest client for the same bytes and the one the emulator delivers with: the
  // delivery's baseline is the captured request, pre-built, through it (node:http's client: a reference row). The
  // control API is called through it too, and its baseline is two such round trips: the same call's bytes to a bare
  // node:http server, then the delivery's baseline.
  const client = appClient(10_000);
  const viaUndici = (port: number, path: string, body: string | Buffer, headers: Record<string, string>): Promise<void> =>
    new Promise((resolve, reject) => {
      let status = 0;
      client.dispatch(
        { origin: `http://127.0.0.1:${port}`, path, method: 'POST', headers, body },
        {
          onConnect: () => {},
          onHeaders: (s) => ((status = s), true),
          onData: () => true,
          onComplete: () => (status === 200 ? resolve() : reject(new Error(`answered ${status}`))),
          onError: reject,
        },
      );
    });
  const viaControl = (): Promise<void> => viaUndici(emu.port, '/v1/inbound/message', inject, json);
  const direct = (): Promise<void> => viaUndici(app.port, '/_ah/xmpp/message/chat/', delivery.body, delivery.headers);
  const directNode = async (): Promise<void> => ok(await post(app.port, '/_ah/xmpp/message/chat/', delivery.body, delivery.headers));
  const twoDirect = async (): Promise<void> => {
    await viaUndici(node.port, SEND, inject, json);
    await direct();
  };
  const all = { helper: [] as number[], direct: [] as number[], node: [] as number[], control: [] as number[], two: [] as number[] };
  // Each row's sides in slices of 100, taken in turn (the order reversed every other slice), so a side's median comes
  // from the same minutes as its baseline's: the machine's state moves the p50 more than most changes do. The two
  // rows are measured one after the other: the emulator child's own work after a slice (its console, its collector)
  // must not fall into the in-process row's slices.
  const inTurn = async (sides: Partial<Record<keyof typeof all, () => Promise<void>>>): Promise<void> => {
    for (const fn of Object.values(sides)) await latencies(300, fn);
    const order = Object.keys(sides) as Array<keyof typeof all>;
    for (let i = 0; i < RUNS * 10; i++) {
      for (const k of i % 2 ? [...order].reverse() : order) all[k].push(...(await latencies(100, sides[k]!)));
    }
  };
  await inTurn({ helper: viaHelper, direct, node: directNode });
  await inTurn({ control: viaControl, two: twoDirect });
  await client.close();
  const ms = (xs: number[], p: number): string => f(percentile(xs, p), 3);
  const r1 = median(all.helper) / median(all.direct);
  row('inject → delivered p50, test helper (ms)', ms(all.helper, 50), ms(all.direct, 50), r1, '≤ 1.15', r1 <= 1.15);
  row('  p99', ms(all.helper, 99), ms(all.direct, 99), percentile(all.helper, 99) / percentile(all.direct, 99), '', null);
  row("  vs the pre-built POST through node:http's client (ms)", ms(all.helper, 50), ms(all.node, 50), median(all.helper) / median(all.node), '', null);
  const r2 = median(all.control) / median(all.two);
  row('inject → delivered p50, control API (ms)', ms(all.control, 50), ms(all.two, 50), r2, '≤ 1.15', r2 <= 1.15);
  row('  p99', ms(all.control, 99), ms(all.two, 99), percentile(all.control, 99) / percentile(all.two, 99), '', null);
  await helper.close();
  await Promise.all([stop(app), stop(node), stop(emu)]);
}

async function coldStartRows(): Promise<void> {
  // The real `xmpp-emu start` as users run it, to its ready line (--json) and to its banner (human), beside bare
  // servers; each start is short, so three times as many runs as elsewhere, alternating.
  const kinds = [emulatorArgs(['--json']), emulatorArgs(), [here('./baseline-server.js')], [here('./baseline-node.js')]];
  const times: number[][] = kinds.map(() => []);
  for (let i = 0; i < 3 * RUNS + 1; i++) {
    for (const [k, args] of kinds.entries()) {
      const c = await startChild(args);
      if (i > 0) times[k]!.push(c.readyMs); // the first round warms the file cache
      await stop(c);
    }
  }
  const [e, h, x, n] = times.map(median) as [number, number, number, number];
  row('cold start to ready (ms), vs bare express', f(e), f(x), e / x, '≤ 1.20', e / x <= 1.2);
  row('  vs bare node:http', f(e), f(n), e / n, '', null);
  row('  to the human banner, vs bare express', f(h), f(x), h / x, '', null);
}

interface Query {
  ms: number;
  sliceMs: number;
  stallMs: number;
}

interface Scale {
  n: number;
  chunkMs: number[];
  bytesPerEntry: number;
  sinceSmallMs: number;
  since: Query;
  contains: Query;
  limited: Query;
  recipient: Query;
}

async function scaleRows(): Promise<void> {
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn(process.execPath, ['--expose-gc', here('./scale.js'), String(SCALE)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    p.stdout.on('data', (d: Buffer) => (text += d));
    p.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`scale.js exited with ${code}`))));
  });
  const s = JSON.parse(out.trim().split('\n').at(-1)!) as Scale;
  const k = `${s.n / 1000}k`;
  const per = (ms: number): number => (ms * 1000) / (s.n / 10);
  const first = per(s.chunkMs[0]!);
  const lastCost = per(s.chunkMs.at(-1)!);
  row(`engine cost per send, last vs first tenth of ${k} (µs)`, f(lastCost, 1), f(first, 1), lastCost / first, '≤ 1.10', lastCost / first <= 1.1);
  row(`bytes per captured entry after forced GC (${k} kept)`, f(s.bytesPerEntry), '', 0, '', null);
  row(`GET /v1/outbox?since=last-10 at ${k} vs at ${s.n / 10000}k (ms)`, f(s.since.ms, 2), f(s.sinceSmallMs, 2), s.since.ms / s.sinceSmallMs, '', null);
  for (const [name, q] of [
    ['since=last-10', s.since],
    ['contains (no match, full scan)', s.contains],
    ['contains&limit=10', s.limited],
    ['to=&since=', s.recipient],
  ] as const) {
    row(
      `longest hold of the event loop, ${name} at ${k} (ms)`,
      f(q.sliceMs, 1),
      `${f(q.ms, 1)} ms/query, loop delay ${f(q.stallMs)}`,
      q.sliceMs / 20,
      '≤ 20 ms',
      q.sliceMs <= 20,
    );
  }
}

const started = Date.now();
const loadAvg = os
  .loadavg()
  .map((l) => l.toFixed(2))
  .join(' ');
console.log(
  `xmpp-emu bench: node ${process.version}, ${os.cpus().length} CPUs, load average ${loadAvg} at start; ${RUNS} runs of ${SECONDS}s per side (BENCH_RUNS, BENCH_SECONDS), outbox scale ${SCALE} (BENCH_SCALE)\n`,
);
// BENCH_ONLY=throughput,rpc_http,waits,latency,start,scale runs some sections only (while working on one).
const only = (process.env.BENCH_ONLY ?? 'throughput,rpc_http,waits,latency,start,scale').split(',');
if (only.includes('throughput')) await throughputRows();
if (only.includes('rpc_http')) await rpcHttpRow(emulatorArgs(['--json']), sideBySide, row);
if (only.includes('waits')) await waiterRows();
if (only.includes('latency')) await latencyRows();
if (only.includes('start')) await coldStartRows();
if (only.includes('scale')) await scaleRows();
closeAgent();

const widths = [62, 22, 22, 7, 10];
const line = (cells: string[]): string =>
  cells
    .map((c, i) => c.padEnd(widths[i] ?? 10))
    .join(' ')
    .trimEnd();
console.log(line(['measure', 'xmpp-emu', 'baseline', 'ratio', 'target']));
for (const r of rows) console.log(line([r.name, r.emu, r.base, r.ratio ? r.ratio.toFixed(2) : '', r.target ? `${r.target} ${r.ok ? '✓' : '✗'}` : '']));
if (process.argv.includes('--markdown')) {
  console.log('\n| measure | xmpp-emu | baseline | ratio | target |\n| --- | --- | --- | --- | --- |');
  for (const r of rows)
    console.log(`| ${[r.name.trim(), r.emu, r.base, r.ratio ? r.ratio.toFixed(2) : '', r.target ? `${r.target} ${r.ok ? '✓' : '✗'}` : ''].join(' | ')} |`);
}
console.log(`
Throughput rows: req/s and the server's main-thread CPU µs per request; the ratio is baseline CPU ÷ emulator CPU.
Baselines: a bare node:http server reading and parsing the same JSON (bench/baseline-node.ts); a bare express
endpoint (bench/baseline-server.ts); for deliveries, the exact request the emulator sends, captured once and posted
pre-built to the same bare node:http app (bench/app-server.ts) through undici, the client the emulator delivers with
(node:http's client: a reference row); the control API, called through undici too, has for baseline two round trips:
the same call's bytes to a bare node:http server, then that pre-built POST.
The feed and waits rows compare the emulator with itself (100 WebSocket clients or 1,000 pending waits, or none);
/healthz while waits register is compared with a bare node:http server holding the same long-polls (bench/baseline-wait.ts).
Scale rows run in one process with --expose-gc (bench/scale.ts). Load average at the end: ${os
  .loadavg()
  .map((l) => l.toFixed(2))
  .join(' ')}; total ${Math.round((Date.now() - started) / 1000)} s.`);
