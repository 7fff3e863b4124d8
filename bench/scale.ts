// The outbox at scale, in its own process (run with --expose-gc): fill an emulator with N captured messages through
// the engine, timing each tenth; bytes per entry after a forced GC; then queries over HTTP at full size, with the
// longest event-loop stall each one caused. Prints one JSON line.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { engineOf, startEmulator } from '../src/core/start.js';

const N = Number(process.argv[2] ?? 1_000_000);
const STEP = N / 10;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const em = await startEmulator({ port: 0, appYaml: null, outboxCap: N, outboxMaxBytes: 64 * 1024 ** 3 });
const engine = engineOf(em);
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

// The longest synchronous slice of outbox work: how long a query held the event loop by itself.
const store = engine.outboxStore;
const page = store.page.bind(store);
let longestSlice = 0;
store.page = (...args: Parameters<typeof page>) => {
  const t = performance.now();
  const r = page(...args);
  longestSlice = Math.max(longestSlice, performance.now() - t);
  return r;
};

/** Mean time per query; the median over the queries of the longest slice each held the loop (a GC that lands in
 * one slice is the collector's, not the query's), and the event loop's longest delay (GC and machine included). */
async function timeQuery(path: string, times: number): Promise<{ ms: number; sliceMs: number; stallMs: number; count: number }> {
  // A full collection first, so the stall measured is the query's and not a pending GC's.
  gc!();
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  let count = 0;
  const slices: number[] = [];
  const t = performance.now();
  for (let i = 0; i < times; i++) {
    longestSlice = 0;
    const r = (await (await fetch(`${em.url}${path}`)).json()) as { entries?: unknown[] };
    slices.push(longestSlice);
    count = r.entries?.length ?? 0;
  }
  const ms = (performance.now() - t) / times;
  h.disable();
  slices.sort((a, b) => a - b);
  return { ms, sliceMs: slices[slices.length >> 1]!, stallMs: h.max / 1e6, count };
}

// Warm the code up first (then forget what that captured), so the first tenth times the outbox, not the JIT.
for (let i = 0; i < 20_000; i++) engine.sendMessage({ jids: `user${i % 1000}@example.com`, body: `warm-up ${i}` });
engine.clearOutbox();
gc();
const heapBefore = process.memoryUsage().heapUsed;
const chunkMs: number[] = [];
let sinceSmall = 0;
for (let c = 0; c < 10; c++) {
  const t = performance.now();
  for (let i = c * STEP; i < (c + 1) * STEP; i++) {
    engine.sendMessage({ jids: `user${i % 1000}@example.com`, body: `message ${i}: Someone has sent you a gift on Example.com.` });
    // Let timers and I/O run now and then, as a server under load would.
    if (i % 1000 === 999) await tick();
  }
  chunkMs.push(performance.now() - t);
  if (c === 0) sinceSmall = (await timeQuery(`/v1/outbox?since=${engine.outboxStore.lastId - 10}`, 200)).ms;
}
gc();
gc();
const bytesPerEntry = (process.memoryUsage().heapUsed - heapBefore) / engine.outboxStore.stats().size;
const last = engine.outboxStore.lastId;
const since = await timeQuery(`/v1/outbox?since=${last - 10}`, 200);
const contains = await timeQuery('/v1/outbox?contains=NOT-THERE', 5);
const limited = await timeQuery('/v1/outbox?contains=gift&limit=10', 200);
const recipient = await timeQuery('/v1/outbox?to=user7@example.com&since=' + (last - 5000), 50);
console.log(
  JSON.stringify({ n: N, chunkMs, bytesPerEntry, sinceSmallMs: sinceSmall, since, contains, limited, recipient, size: engine.outboxStore.stats().size }),
);
await em.close();
