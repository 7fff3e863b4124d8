// Issue 9 item 6: the outbox is bounded in bytes, and listing it never needs one string as large as the outbox.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { RemoteControl } from '../../src/control/remote.js';
import { engineOf } from '../../src/core/start.js';
import { startEmulator } from '../../src/index.js';
import { getJson, postJson } from '../helpers.js';

test('large bodies are capped in bytes: the oldest are dropped long before the entry cap', async () => {
  const em = await startEmulator({ port: 0, appYaml: null, outboxMaxBytes: 2 * 1024 * 1024 });
  try {
    const body = 'b'.repeat(90 * 1024);
    for (let i = 0; i < 40; i++) {
      const r = await postJson(em.url, '/v1/xmpp/send_message', { jids: 'alice@example.com', body: `${i}:${body}` });
      assert.equal(r.status, 200);
    }
    const s = (await getJson(em.url, '/v1/stats')).body.outbox;
    assert.equal(s.max_bytes, 2 * 1024 * 1024);
    assert.ok(s.bytes <= s.max_bytes, `${s.bytes} bytes kept`);
    assert.ok(s.size < 40 && s.size + s.dropped === 40, JSON.stringify(s));
    const newest = await em.outbox({ since: s.last_id - 1 });
    assert.ok(newest[0]!.body!.startsWith('39:'));
  } finally {
    await em.close();
  }
});

/** GET a path and read the answer as a stream: its byte count and its last bytes, never one string of it all. */
function streamedGet(url: string): Promise<{ status: number; bytes: number; head: string; tail: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let bytes = 0;
        let head = '';
        let tail = Buffer.alloc(0);
        res.on('data', (c: Buffer) => {
          if (bytes === 0) head = c.subarray(0, 64).toString();
          bytes += c.length;
          tail = Buffer.concat([tail, c]).subarray(-512);
        });
        res.on('end', () => resolve({ status: res.statusCode!, bytes, head, tail: tail.toString() }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

test('GET /v1/outbox streams a listing larger than any string (6,000 entries of 100 KB) and the process lives', async () => {
  const em = await startEmulator({ port: 0, appYaml: null, outboxMaxBytes: 4 * 1024 ** 3 });
  try {
    // One shared 100 KB string: the listing is 600 MB on the wire but the heap holds the body once.
    const body = 'x'.repeat(100 * 1024);
    for (let i = 0; i < 6000; i++)
      engineOf(em).outboxStore.add({
        time: '',
        kind: 'message',
        from: 'dev-app@appspot.com',
        to: ['alice@example.com'],
        body,
        version: null,
        protocol: 'json',
        in_reply_to: null,
      });
    const r = await streamedGet(`${em.url}/v1/outbox`);
    assert.equal(r.status, 200);
    assert.ok(r.bytes > 6000 * 100 * 1024, `${r.bytes} bytes`);
    assert.ok(r.head.startsWith('{"entries":[{"id":1,'), r.head);
    assert.match(r.tail, /"in_reply_to":null\}\],"stats":\{"size":6000,.*"last_id":6000\}\}$/);
    assert.equal((await getJson(em.url, '/healthz')).status, 200);
  } finally {
    await em.close();
  }
});

test('the HTTP client reads a long outbox in pages, in order, whole', async () => {
  const em = await startEmulator({ port: 0, appYaml: null });
  try {
    for (let i = 0; i < 1234; i++)
      engineOf(em).outboxStore.add({
        time: '',
        kind: 'message',
        from: 'dev-app@appspot.com',
        to: [`u${i % 3}@example.com`],
        body: `m${i}`,
        version: null,
        protocol: 'json',
        in_reply_to: null,
      });
    const client = new RemoteControl(em.url);
    const all = await client.outbox();
    assert.deepEqual(
      all.map((e) => e.id),
      Array.from({ length: 1234 }, (_, i) => i + 1),
    );
    const some = await client.outbox({ to: 'u1@example.com', limit: 600 });
    assert.equal(some.length, 411);
    assert.ok(some.every((e) => e.to[0] === 'u1@example.com'));
    assert.deepEqual(
      (await client.outbox({ since: 1000, limit: 3 })).map((e) => e.body),
      ['m1000', 'm1001', 'm1002'],
    );
  } finally {
    await em.close();
  }
});
