// No local client can crash or stall the emulator (issue 9, items 4, 5 and 10): each runs the real CLI as a child
// process and checks it stays up (or, on SIGTERM, exits) however the client behaves.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, test } from 'node:test';
import { killAll, runCli, type Cli } from '../cli-process.js';
import { rpc } from '../api-server-client.js';
import { getJson, postJson } from '../helpers.js';

after(killAll);

async function start(args: string[] = []): Promise<{ c: Cli; url: string; port: number }> {
  const c = runCli(['start', '--json', '--port', '0', '--no-repl', '--no-xmpp', ...args]);
  const ready = JSON.parse((await c.waitFor(/\n/)).split('\n')[0]!);
  return { c, url: ready.url, port: Number(new URL(ready.url).port) };
}

/** Send raw bytes; resolve with everything the server sends until it closes or `until` matches. */
function rawExchange(port: number, bytes: string, until = /\r\n\r\n[\s\S]*\}/): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(bytes));
    let got = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      got += d;
      if (until.test(got)) {
        s.destroy();
        resolve(got);
      }
    });
    s.on('error', reject);
    s.on('close', () => resolve(got));
  });
}

test('a refused WebSocket upgrade followed by a TCP reset does not kill the process; other upgrades are plain requests', async () => {
  const { c, url, port } = await start();
  // A foreign Origin, then a reset as soon as the refusal starts arriving (and once before it is even read).
  for (const path of ['/v1/events', '/xmpp-websocket', '/nowhere']) {
    for (const early of [false, true]) {
      await new Promise<void>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => {
          s.write(
            `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: https://evil.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
          );
          if (early) s.resetAndDestroy();
        });
        s.on('data', () => s.resetAndDestroy());
        s.on('error', () => undefined);
        s.on('close', () => resolve());
      });
    }
  }
  assert.equal((await getJson(url, '/healthz')).status, 200, 'the process lives');
  // h2c (curl --http2 over plain HTTP) is answered as HTTP/1.1, body and all.
  const h2c = `Host: 127.0.0.1:${port}\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n`;
  const health = await rawExchange(port, `GET /healthz HTTP/1.1\r\n${h2c}\r\n`);
  assert.match(health, /^HTTP\/1\.1 200 /);
  assert.match(health, /\{"ok":true\}/);
  const body = JSON.stringify({ jids: 'h2c@example.com', body: 'over an h2c upgrade' });
  const sent = await rawExchange(
    port,
    `POST /v1/xmpp/send_message HTTP/1.1\r\n${h2c}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  assert.match(sent, /^HTTP\/1\.1 200 /);
  assert.match(sent, /\{"statuses":\[0\]\}/);
  // A WebSocket upgrade to a path that serves none is that path's plain answer, not a 404.
  const outbox = await rawExchange(port, `GET /v1/outbox HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`, /"stats"/);
  assert.match(outbox, /^HTTP\/1\.1 200 /);
  assert.match(outbox, /over an h2c upgrade/);
  c.child.kill('SIGTERM');
  assert.equal(await c.exited, 0);
});

test('start --json | head -1: a reader that goes away ends the output, never the service', async () => {
  const { c, url } = await start();
  c.child.stdout.destroy();
  for (let i = 0; i < 50; i++) assert.equal((await postJson(url, '/v1/xmpp/send_message', { jids: 'after@example.com', body: `event ${i}` })).status, 200);
  assert.equal((await getJson(url, '/v1/outbox?to=after@example.com')).body.entries.length, 50);
  assert.equal((await getJson(url, '/healthz')).status, 200);
  assert.equal(c.child.exitCode, null, 'still running');
  c.child.kill('SIGTERM');
  assert.equal(await c.exited, 0);
});

test('SIGTERM exits though a client holds a half-sent request and a WebSocket client ignores the close', { timeout: 20_000 }, async () => {
  const { c, port } = await start();
  const holder = net.connect(port, '127.0.0.1', () => holder.write(`GET /v1/outbox HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Slow: `));
  holder.on('error', () => undefined);
  // A WebSocket client by hand: it completes the handshake, then never answers the close frame.
  const deaf = net.connect(port, '127.0.0.1', () =>
    deaf.write(
      `GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
    ),
  );
  deaf.on('error', () => undefined);
  await new Promise<void>((resolve) => deaf.once('data', () => resolve()));
  const held = Promise.all([new Promise((r) => holder.once('close', r)), new Promise((r) => deaf.once('close', r))]);
  c.child.kill('SIGTERM');
  assert.equal(await c.exited, 0);
  await held;
});

test('deep XML nesting is refused with INVALID_XML at once, and the emulator stays responsive', { timeout: 30_000 }, async () => {
  const { c, url } = await start();
  const deep = (n: number): string => `${'<x>'.repeat(n)}${'</x>'.repeat(n)}`;
  // A 700 KB error stanza of nested elements, and raw_xml of 14,628 levels (100 KB).
  const stanza = `<message xmlns="jabber:client" type="error">${deep(100_000)}</message>`;
  const [error, raw] = await Promise.all([
    postJson(url, '/v1/inbound/error', { from: 'deep@example.com', stanza }),
    postJson(url, '/v1/xmpp/send_message', { jids: 'deep@example.com', body: deep(14_628), raw_xml: true }),
  ]);
  for (const r of [error, raw]) {
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'INVALID_XML');
    assert.match(r.body.error.message, /deeper than 100/);
  }
  assert.equal((await getJson(url, '/healthz')).status, 200);
  c.child.kill('SIGTERM');
  assert.equal(await c.exited, 0);
});

test('--record on a device that takes no bytes (/dev/full): every call is refused with UNSPECIFIED_ERROR on every protocol and leaves no trace; the service goes on', async (t) => {
  if (process.platform !== 'linux') return t.skip('/dev/full is a Linux device');
  const { c, url } = await start(['--record', '/dev/full']);
  const before = (await getJson(url, '/v1/stats')).body.quotas.total;
  const refused = /cannot be written to the transcript \/dev\/full \(ENOSPC\)/;
  for (const [call, body] of [
    ['send_message', { jids: 'alice@example.com', body: 'one' }],
    ['send_message', { jids: 'my-app@appspot.com', body: 'a loop-back would follow' }],
    ['send_invite', { jid: 'bob@example.com' }],
    ['send_presence', { jid: 'bob@example.com', presence_type: 'probe' }],
  ] as const) {
    const r = await postJson(url, `/v1/xmpp/${call}`, body);
    assert.equal(r.status, 500, call);
    assert.equal(r.body.error.code, 'UNSPECIFIED_ERROR', call);
    assert.match(r.body.error.message, refused, call);
  }
  // The API-server protocol (Go, Python 3 on /rpc_http; Python 2 on /) answers the service's own UNSPECIFIED_ERROR (1).
  for (const path of ['/rpc_http', '/'] as const) {
    const a = await rpc(url, path, 'xmpp', 'SendMessage', { jid: ['carol@example.com'], body: 'over rpc', raw_xml: false });
    assert.equal(a.status, 200);
    assert.equal(a.application_error?.code, 1, path);
    assert.match(a.application_error.detail, refused);
  }
  // An injection is refused before anything reaches the app; so is a presence the developer sets (replay's setup).
  const injected = await postJson(url, '/v1/inbound/message', { from: 'dave@example.com', to: 'my-app@appspot.com', body: 'hi' });
  assert.equal(injected.status, 500);
  assert.equal(injected.body.error.code, 'UNSPECIFIED_ERROR');
  assert.match(injected.body.error.message, refused);
  const put = { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ available: true }) };
  assert.equal((await getJson(url, '/v1/presence/erin@example.com', put)).body.error.code, 'UNSPECIFIED_ERROR');
  // So is every other control call that writes a line: a clock change, a reset, clearing the outbox.
  const clock = (await getJson(url, '/v1/clock')).body;
  assert.equal((await postJson(url, '/v1/clock', { freeze: true })).body.error.code, 'UNSPECIFIED_ERROR');
  assert.deepEqual((await getJson(url, '/v1/clock')).body.frozen, clock.frozen);
  assert.equal((await postJson(url, '/v1/reset', {})).body.error.code, 'UNSPECIFIED_ERROR');
  assert.equal((await getJson(url, '/v1/outbox', { method: 'DELETE' })).body.error.code, 'UNSPECIFIED_ERROR');
  // No trace: nothing in the outbox, no quota charged, no sent or delivered event fed, the presence untouched.
  assert.deepEqual((await getJson(url, '/v1/outbox')).body.entries, []);
  assert.deepEqual((await getJson(url, '/v1/stats')).body.quotas.total, before);
  assert.deepEqual((await getJson(url, '/v1/presence')).body.jids, []);
  await c.waitFor(/"source":"transcript","ok":false[^\n]*ENOSPC[^\n]*refused until it can be written again/);
  assert.doesNotMatch(c.stdout(), /"type":"(sent|delivered)"/);
  assert.match(c.stdout(), /"type":"rejected"[^\n]*"code":"UNSPECIFIED_ERROR"/);
  assert.equal(c.stderr(), '', 'a refused recording is an answer, not a stack');
  // The service still answers what needs no line: health, presence reads.
  assert.equal((await getJson(url, '/healthz')).status, 200);
  assert.equal((await postJson(url, '/v1/xmpp/get_presence', { jid: 'alice@example.com' })).status, 200);
  c.child.kill('SIGTERM');
  assert.equal(await c.exited, 0);
});
