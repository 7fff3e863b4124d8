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

/** Wait at most 30 s for a figure from Chromium's performance timeline, and say which one did not come. */
function timeline(page: import('playwright-core').Page, name: string, type: 'paint' | 'mark'): Promise<number> {
  return page.evaluate(
    ([n, t]) =>
      new Promise<number>((resolve, reject) => {
        const seen = performance.getEntriesByName(n)[0];
        if (seen) return resolve(seen.startTime);
        setTimeout(() => reject(new Error(`no ${n} entry within 30 s`)), 30_000);
        new PerformanceObserver((l) => {
          const e = l.getEntries().find((x) => x.name === n);
          if (e) resolve(e.startTime);
        }).observe({ type: t, buffered: true });
      }),
    [name, type] as const,
  );
}

/** First contentful paint (the page's shell), and for the console the moment the app itself was first on screen. */
async function load(path: string, base = em.url): Promise<{ fcp: number; app: number; page: import('playwright-core').Page }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${base}/${path}`);
  const fcp = await timeline(page, 'first-contentful-paint', 'paint');
  const app = base === em.url ? await timeline(page, 'console-rendered', 'mark') : 0;
  return { fcp, app, page };
}

const empty: number[] = [];
const emptyApp: number[] = [];
const baseline: number[] = [];
for (let i = 0; i < RUNS; i++) {
  for (const [into, base] of [
    [empty, em.url],
    [baseline, staticUrl],
  ] as const) {
    const { fcp, app, page } = await load('', base);
    into.push(fcp);
    if (base === em.url) emptyApp.push(app);
    await page.close();
  }
}

const N = 10_000;
const engine = engineOf(em);
for (let i = 1; i <= N; i++) engine.sendMessage({ jids: `user${i % 100}@example.com`, body: `entry ${i}` });

const full: number[] = [];
const fullApp: number[] = [];
const shown: number[] = [];
const toEnd: number[] = [];
let rows = 0;
for (let i = 0; i < RUNS; i++) {
  const started = performance.now();
  const { fcp, app, page } = await load('#/outbox');
  full.push(fcp);
  fullApp.push(app);
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
console.log(`console first contentful paint, empty emulator:          ${ms(median(empty))} (median of ${RUNS} loads; target < 300 ms)`);
console.log(
  `static page (same stylesheet, no script), baseline:      ${ms(median(baseline))} (console/baseline ${(median(empty) / median(baseline)).toFixed(2)})`,
);
console.log(`console app on screen (its own first frame), empty:      ${ms(median(emptyApp))}`);
console.log(`console first contentful paint, ${N} outbox entries:   ${ms(median(full))}`);
console.log(`console app on screen, ${N} outbox entries:            ${ms(median(fullApp))}`);
const bundle = fs.statSync(path.join(consoleDir(), 'app.js')).size + fs.statSync(path.join(consoleDir(), 'style.css')).size;
console.log(`bundle (app.js + style.css):                             ${(bundle / 1024).toFixed(0)} KB`);
console.log(
  `navigation until the outbox lists all ${N} entries:     ${ms(median(shown))} (replay of ${engine.outboxStore.stats().size} entries' events over the feed)`,
);
console.log(`End key until entry ${N} is on screen:                   ${ms(median(toEnd))}`);
console.log(`rows in the page for ${N} entries:                      ${rows}`);
await browser.close();
await em.close();
staticPage.close();
