// Loops and fan-out (issue 9, item 3): a bot that answers its own messages is stopped past --max-loop-depth with
// an event that says so; one call to many of the app's own addresses is delivered once per distinct address, at
// most DELIVERY_CONCURRENCY at a time.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { DELIVERY_CONCURRENCY } from '../../src/core/namespaces.js';
import { startEmulator, type DeliveryResult, type EmulatorEvent } from '../../src/index.js';
import { postJson, startEmulatorWithApp } from '../helpers.js';

const SELF = 'dev-app@appspot.com';

/** Resolves with the first delivery result that satisfies `pick`. */
function nextDelivery(em: { onEvent(l: (e: EmulatorEvent) => void): () => void }, pick: (r: DeliveryResult) => boolean): Promise<DeliveryResult> {
  return new Promise((resolve) => {
    const off = em.onEvent((e) => {
      if (e.type === 'delivered' && pick(e.result)) {
        off();
        resolve(e.result);
      }
    });
  });
}

for (const variant of ['sends the ticket back', 'sends no ticket, answering while the delivery is open'] as const) {
  test(`a bot that echoes its own messages is stopped past --max-loop-depth (an app that ${variant})`, { timeout: 60_000 }, async () => {
    const withTicket = variant === 'sends the ticket back';
    const { app, em, close } = await startEmulatorWithApp({ maxLoopDepth: 5, deliveryTimeoutMs: 60_000 });
    if (!withTicket) app.respond = 'hang';
    try {
      const stopped = nextDelivery(em, (r) => r.loopback === true && !r.delivered && /max-loop-depth/.test(r.reason ?? ''));
      // The bot: every message it receives, it sends back to its own address (the sample bot's echo, pointed home).
      let echoes = 0;
      const bot = (async () => {
        for (;;) {
          const got = await app.next();
          if (got.fields.body === 'stop') return;
          echoes++;
          const ticket: Record<string, string> = withTicket ? { 'X-AppEngine-API-Ticket': String(got.headers['x-appengine-api-ticket']) } : {};
          await postJson(em.url, '/v1/xmpp/send_message', { jids: SELF, body: got.fields.body }, ticket);
        }
      })();
      await postJson(em.url, '/v1/xmpp/send_message', { jids: SELF, body: 'echo me' });
      const result = await stopped;
      assert.equal(result.loop_depth, 6);
      assert.match(result.reason!, /reply chain 6 deep, past --max-loop-depth 5/);
      assert.equal(echoes, 5, 'the app got the five loop-backs up to the limit, and no more');
      void em.injectMessage({ from: 'alice@example.com', body: 'stop' }).catch(() => undefined);
      await bot;
    } finally {
      await app.close();
      await close();
    }
  });
}

test('one call to thousands of app addresses: duplicates collapsed, distinct ones delivered at most DELIVERY_CONCURRENCY at a time', async () => {
  let open = 0;
  let most = 0;
  const paths: string[] = [];
  // An app that answers each POST on the next turn, so concurrent POSTs overlap here if the emulator sends them.
  const server = http.createServer((req, res) => {
    open++;
    most = Math.max(most, open);
    paths.push(req.url!);
    req.resume();
    req.on('end', () =>
      setImmediate(() => {
        open--;
        res.end();
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const em = await startEmulator({ port: 0, appUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, appYaml: null, console: false });
  try {
    const distinct = Array.from({ length: 300 }, (_, i) => `user${i}@dev-app.appspotchat.com`);
    const jids = [...Array.from({ length: 5000 }, () => SELF), ...distinct, ...distinct];
    let delivered = 0;
    const all = new Promise<void>((resolve) =>
      em.onEvent((e) => {
        if (e.type === 'delivered' && e.result.loopback && ++delivered === 301) resolve();
      }),
    );
    const r = await postJson(em.url, '/v1/xmpp/send_message', { jids, body: 'fan out' });
    assert.equal(r.status, 200);
    assert.equal(r.body.statuses.length, 5600, 'the call still answers one status per JID given');
    await all;
    assert.equal(paths.length, 301, 'one delivery per distinct address');
    assert.ok(most <= DELIVERY_CONCURRENCY, `at most ${DELIVERY_CONCURRENCY} POSTs at once, saw ${most}`);
    assert.ok(most > 1, 'deliveries do overlap');
    assert.equal((await fetch(`${em.url}/healthz`)).status, 200);
  } finally {
    await em.close();
    server.close();
  }
});
