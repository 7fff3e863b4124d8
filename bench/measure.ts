// The bench's instruments: servers as child processes, their main-thread CPU time, load runs, statistics.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import autocannon from 'autocannon';

export interface Child {
  proc: ChildProcess;
  port: number;
  readyMs: number;
}

/**
 * Spawn a server and resolve once it says where it listens: a JSON ready line with `port`, or the emulator's
 * human banner (`XMPP_EMULATOR_HOST=HOST:PORT`). What it prints afterwards is read and dropped, as a terminal would.
 */
export function startChild(args: string[], nodeFlags: string[] = []): Promise<Child> {
  const started = performance.now();
  const proc = spawn(process.execPath, [...nodeFlags, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let buf = '';
    let ready = false;
    proc.stdout!.on('data', (d: Buffer) => {
      if (ready) return;
      buf += d;
      const port = /"port":(\d+)/.exec(buf)?.[1] ?? /XMPP_EMULATOR_HOST=\S+:(\d+)/.exec(buf)?.[1];
      if (!port) return;
      ready = true;
      buf = '';
      resolve({ proc, port: Number(port), readyMs: performance.now() - started });
    });
    proc.once('exit', (code) => !ready && reject(new Error(`${args.join(' ')} exited with ${code} before it was ready`)));
  });
}

export function stop(c: Child): Promise<void> {
  return new Promise((resolve) => {
    if (c.proc.exitCode !== null) return resolve();
    c.proc.once('exit', () => resolve());
    c.proc.kill('SIGTERM');
  });
}

/** CPU time of a process's main thread so far, in microseconds (Linux schedstat, in ns; else utime+stime ticks). */
export function cpuMicros(pid: number): number {
  try {
    return Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1000;
  } catch {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) * 10_000;
  }
}

export interface LoadResult {
  rps: number;
  /** main-thread CPU microseconds of the server per request */
  cpuUs: number;
}

export async function load(c: Child, path: string, body: string, connections: number, seconds: number): Promise<LoadResult> {
  const before = cpuMicros(c.proc.pid!);
  const r = await autocannon({
    url: `http://127.0.0.1:${c.port}${path}`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    duration: seconds,
  });
  const cpu = cpuMicros(c.proc.pid!) - before;
  if (r.non2xx || r.errors) throw new Error(`load run on ${path} had ${r.non2xx} non-2xx answers and ${r.errors} errors`);
  return { rps: r.requests.average, cpuUs: cpu / r.requests.total };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

export function closeAgent(): void {
  agent.destroy();
}

/** One POST over a kept-alive connection; resolves with the status once the answer is read. */
export function post(port: number, path: string, body: Buffer | string, headers: Record<string, string | number>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Latency of `n` sequential calls, in ms. */
export async function latencies(n: number, once: () => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await once();
    out.push(performance.now() - t);
  }
  return out;
}
