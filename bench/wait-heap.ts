// Heap a pending long-poll keeps alive, in its own process (run with --expose-gc): the emulator (in-process) or a bare
// node:http server holding the same requests (`bare`) takes 1,000 GET /v1/outbox/wait from a client in another
// process (so the client's objects are not counted); heap used after a forced GC, before and while they wait.
// Prints one JSON line.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { engineOf, startEmulator } from '../src/core/start.js';

const N = 1000;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

let port: number;
let held: () => number;
let close: () => Promise<void>;
if (process.argv[2] === 'bare') {
  let open = 0;
  // The least a server holding a long-poll keeps: its request, response and socket, a timer, a close listener.
  const server = http.createServer((req, res) => {
    if (!req.url?.startsWith('/v1/outbox/wait')) return void res.end('{"ok":true}');
    open++;
    const timer = setTimeout(() => res.writeHead(408).end('{}'), 600_000);
    res.on('close', () => (open--, clearTimeout(timer)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
  held = () => open;
  close = () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve())));
} else {
  const em = await startEmulator({ port: 0, appYaml: null, ui: false, xmpp: false });
  port = em.port;
  held = () => engineOf(em).outboxStore.waiting;
  close = () => em.close();
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
/** Until `done`, or fail (naming what it waited for) after 60 s, or if the client process dies while `clientAlive`. */
async function until(what: string, done: () => boolean, clientAlive = false): Promise<void> {
  const limit = performance.now() + 60_000;
  while (!done()) {
    if (performance.now() > limit) throw new Error(`wait-heap: still waiting for ${what} after 60 s (${held()} waits held)`);
    if (clientAlive && client.exitCode !== null && !done()) throw new Error(`wait-heap: the client exited with ${client.exitCode} while waiting for ${what}`);
    await tick();
  }
}
// One request answered first, so what a server builds on its first request is in both figures.
await fetch(`http://127.0.0.1:${port}/healthz`);
gc();
gc();
const before = process.memoryUsage().heapUsed;
const client = spawn(
  process.execPath,
  [
    '--input-type=module',
    '-e',
    `import http from 'node:http';
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
for (let i = 0; i < ${N}; i++)
  http.get({ host: '127.0.0.1', port: ${port}, path: '/v1/outbox/wait?to=nobody' + i + '@example.com&timeout_ms=600000', agent }).on('error', () => {});
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));`,
  ],
  { stdio: ['pipe', 'ignore', 'inherit'] },
);
await until(`${N} pending waits`, () => held() >= N, true);
gc();
gc();
const bytesPerWait = (process.memoryUsage().heapUsed - before) / N;
client.stdin!.end();
await until('the waits to end after the client hung up', () => held() === 0);
await close();
console.log(JSON.stringify({ bytesPerWait }));
