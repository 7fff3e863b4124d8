// npm run bench:console: the web console in headless Chromium. First paint of an empty console, and with 10,000
// outbox entries (20,000+ events replayed over the feed): time until the list shows them, and until End reaches
// the last one; how many rows the page holds. Medians of several loads; figures for the README and the notes.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { consoleDir } from '../src/http/ui.js';
import { launchChromium } from '../test/e2e/browser.js';
import { engineOf } from '../src/core/start.js';
import { startEmulator } from '../src/index.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const browser = await launchChromium();
const em = await startEmulator({ port: 0, appUrl: 'http://127.0.0.1:9', appYaml: null });

// The baseline: a static page with the console's stylesheet and no script, from a bare node:http server, so the
// figure can be read as a ratio on a busy machine.
const staticPage = http.createServer((req, res) => {
  if (req.url === '/style.css') {
    res.end(fs.readFileSync(path.join(consoleDir(), 'style.css')));
    return;
  }
  res.setHeader('Content-Type', 'text/html');
  res.end('<!doctype html><html><head><link rel="stylesheet" href="/style.css"></head><body><p class="boot">Loading…</p></body></html>');
});
await new Promise<void>((resolve) => staticPage.listen(0, '127.0.0.1', resolve));
const staticUrl = `http://127.0.0.1:${(staticPage.address() as AddressInfo).port}`;

async function load(path: string, base = em.url): Promise<{ fcp: number; page: import('playwright-core').Page }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${base}/${path}`);
  const fcp = await page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const seen = performance.getEntriesByName('first-contentful-paint')[0];
        if (seen) return resolve(seen.startTime);
        new PerformanceObserver((l) => resolve(l.getEntries()[0]!.startTime)).observe({ type: 'paint', buffered: true });
      }),
  );
  return { fcp, page };
}

const empty: number[] = [];
const baseline: number[] = [];
for (let i = 0; i < RUNS; i++) {
  for (const [into, base] of [
    [empty, em.url],
    [baseline, staticUrl],
  ] as const) {
    const { fcp, page } = await load('', base);
    into.push(fcp);
    await page.close();
  }
}

const N = 10_000;
const engine = engineOf(em);
for (let i = 1; i <= N; i++) engine.sendMessage({ jids: `user${i % 100}@example.com`, body: `entry ${i}` });

const full: number[] = [];
const shown: number[] = [];
const toEnd: number[] = [];
let rows = 0;
for (let i = 0; i < RUNS; i++) {
  const started = performance.now();
  const { fcp, page } = await load('#/outbox');
  full.push(fcp);
  await page
    .locator('#outbox-h .count')
    .filter({ hasText: String(N) })
    .waitFor();
  shown.push(performance.now() - started);
  rows = await page.locator('.outbox-list .vrow').count();
  const t = performance.now();
  await page.locator('.outbox-list .outbox-row').first().focus();
  await page.keyboard.press('End');
  await page.locator('.outbox-list').getByText(`entry ${N}`, { exact: true }).waitFor();
  toEnd.push(performance.now() - t);
  await page.close();
}
const ms = (x: number): string => `${x.toFixed(0)} ms`;
console.log(`console first contentful paint, empty emulator:          ${ms(median(empty))} (median of ${RUNS}; target < 300 ms)`);
console.log(
  `static page (same stylesheet, no script), baseline:      ${ms(median(baseline))} (console/baseline ${(median(empty) / median(baseline)).toFixed(2)})`,
);
console.log(`console first contentful paint, ${N} outbox entries:   ${ms(median(full))}`);
console.log(
  `navigation until the outbox lists all ${N} entries:     ${ms(median(shown))} (replay of ${engine.outboxStore.stats().size} entries' events over the feed)`,
);
console.log(`End key until entry ${N} is on screen:                   ${ms(median(toEnd))}`);
console.log(`rows in the page for ${N} entries:                      ${rows}`);
await browser.close();
await em.close();
staticPage.close();
