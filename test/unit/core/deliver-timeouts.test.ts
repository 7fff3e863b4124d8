// undici's own limits on a POST, on undici's own clock moved forward: alone in its file, as that clock is the module's.
import assert from 'node:assert/strict';
import http from 'node:http';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { appClient, Boundaries, postParts } from '../../../src/core/deliver.js';
import { seededRandom } from '../../../src/domain/random.js';

const part = [{ name: 'body', value: 'x', contentType: 'text/plain; charset="UTF-8"' }];
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * undici times waits of over a second on a clock of its own, advanced by a 499 ms timer; its `tick` (there for its own
 * tests) moves that clock: once to start the waits just set, once to move it on by `ms`.
 */
const undiciClock = createRequire(import.meta.url)('undici/lib/util/timers.js') as { tick(ms: number): void };

test('--delivery-timeout alone limits a POST: an app may take longer than undici would wait (300 s for the answer)', async () => {
  // The app holds its answers: to /headers it has said nothing yet, to /body it has sent the headers and half the body.
  const held: http.ServerResponse[] = [];
  let arrived!: () => void;
  const both = new Promise<void>((resolve) => (arrived = resolve));
  const server = http.createServer((req, res) => {
    req.resume();
    if (req.url === '/body') {
      res.writeHead(200, { 'Content-Length': '4' });
      res.write('ab');
    }
    held.push(res);
    if (held.length === 2) arrived();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const timeoutMs = 400_000;
  const client = appClient(timeoutMs);
  const boundaries = new Boundaries(seededRandom(2));
  try {
    const posts = ['/headers', '/body'].map((path) => postParts(`${base}${path}`, part, {}, timeoutMs, client, boundaries));
    await both;
    for (let i = 0; i < 3; i++) await turn(); // the client reads the half answer
    // 310 s pass on undici's clock, not on the POSTs' own deadline (400 s): only a limit of undici's could end them.
    undiciClock.tick(0);
    undiciClock.tick(310_000);
    for (let i = 0; i < 3; i++) await turn();
    held[0]!.end('ok');
    held[1]!.end('cd');
    for (const o of await Promise.all(posts)) {
      assert.equal(o.reason, undefined);
      assert.equal(o.status, 200);
    }
  } finally {
    await client.destroy();
    server.close();
  }
});
