// The service API reads its bodies itself (no express in front): each way a body can be wrong has its coded error.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import zlib from 'node:zlib';
import { startEmulator, type RunningEmulator } from '../../src/index.js';

let em: RunningEmulator;
before(async () => {
  em = await startEmulator({ port: 0, appYaml: null });
});
after(() => em.close());

function post(path: string, body: Buffer | string, headers: Record<string, string>): Promise<{ status: number; body: any; type: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${em.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text), type: String(res.headers['content-type']) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const message = JSON.stringify({ jids: 'alice@example.com', body: 'compressed hello' });

test('gzip, deflate and br bodies are decoded; the answer is JSON', async () => {
  for (const [enc, z] of [
    ['gzip', zlib.gzipSync],
    ['deflate', zlib.deflateSync],
    ['br', zlib.brotliCompressSync],
  ] as const) {
    const r = await post('/v1/xmpp/send_message', z(message), { 'Content-Encoding': enc });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { statuses: [0] });
    assert.equal(r.type, 'application/json; charset=utf-8');
  }
});

test('bad bodies: each refused with its code and a message that says why', async () => {
  const big = 'x'.repeat(1600 * 1024);
  const cases: Array<[string, Buffer | string, Record<string, string>, number, string, RegExp]> = [
    ['unknown encoding', message, { 'Content-Encoding': 'zstd' }, 400, 'BAD_REQUEST', /Content-Encoding "zstd"/],
    ['broken gzip', 'not gzip at all', { 'Content-Encoding': 'gzip' }, 400, 'BAD_REQUEST', /could not be decoded \(gzip\)/],
    ['a charset other than UTF-8', message, { 'Content-Type': 'application/json; charset=latin1' }, 400, 'BAD_REQUEST', /charset "latin1"/],
    ['too large, length declared', big, {}, 413, 'EXCEEDED_MAX_SIZE', /is \d+ bytes; at most 1572864 bytes/],
    [
      'too large once inflated',
      zlib.gzipSync(big),
      { 'Content-Encoding': 'gzip' },
      413,
      'EXCEEDED_MAX_SIZE',
      /more than 1572864 bytes once decompressed; at most 1572864/,
    ],
    ['empty: read as {} (a missing body is reported before the JIDs)', '', {}, 400, 'NO_BODY', /body is missing/],
    ['not UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), {}, 400, 'BAD_REQUEST', /not valid UTF-8/],
  ];
  for (const [name, body, headers, status, code, why] of cases) {
    const r = await post('/v1/xmpp/send_message', body, headers);
    assert.equal(r.status, status, name);
    assert.equal(r.body.error.code, code, name);
    assert.match(r.body.error.message, why, name);
  }
  // Still serving, nothing refused was captured.
  assert.equal((await post('/v1/xmpp/send_message', message, {})).status, 200);
  assert.ok((await em.outbox()).every((e) => e.body === 'compressed hello'));
});

test('other methods and paths under /v1/xmpp are unknown calls; the control API is still express behind it', async () => {
  const r = await fetch(`${em.url}/v1/xmpp/send_message`);
  assert.equal(r.status, 404);
  assert.match(((await r.json()) as { error: { message: string } }).error.message, /no such endpoint: GET \/v1\/xmpp\/send_message/);
  assert.equal((await post('/v1/xmpp/send_message/', message, {})).status, 200, 'a trailing slash is the same call');
  assert.equal((await fetch(`${em.url}/v1/xmppx`)).status, 404);
  assert.equal((await fetch(`${em.url}/v1/stats`)).status, 200);
});
