// The small defects of issue 9, item 11: each answer says what really happened, and nothing refuses a user's line.
import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { test } from 'node:test';
import { startRepl } from '../../src/console/repl.js';
import { postJson, startEmulatorWithApp } from '../helpers.js';

function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(bytes));
    let got = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (got += d));
    s.on('error', reject);
    s.on('close', () => resolve(got));
  });
}

test('the REPL with an unwritable history file says so once and keeps taking lines, .exit included', { timeout: 20_000 }, async () => {
  const { app, em, close } = await startEmulatorWithApp();
  const historyFile = fs.mkdtempSync(path.join(os.tmpdir(), 'xmpp-emu-history-')); // a directory: EISDIR
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  output.on('data', (d: Buffer) => (text += d));
  const repl = startRepl({ control: em, input, output, appJid: 'dev-app@appspot.com', historyFile, console: true, color: false, terminal: false });
  const delivered = app.next();
  input.write('hello there\n');
  assert.equal((await delivered).fields.body, 'hello there');
  input.write('.exit\n');
  await repl.closed;
  assert.equal(text.match(/history is not kept/g)?.length, 1, text);
  await close();
});

test('Node-level refusals (headers over 16 KB, broken HTTP) carry a coded JSON body', async () => {
  const { em, close } = await startEmulatorWithApp();
  const big = await raw(em.port, `GET /v1/outbox?contains=${'x'.repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  assert.match(big, /^HTTP\/1\.1 431 /);
  assert.equal(JSON.parse(big.slice(big.indexOf('\r\n\r\n') + 4)).error.code, 'EXCEEDED_MAX_SIZE');
  const broken = await raw(em.port, 'NOT HTTP AT ALL\r\n\r\n');
  assert.match(broken, /^HTTP\/1\.1 400 /);
  assert.equal(JSON.parse(broken.slice(broken.indexOf('\r\n\r\n') + 4)).error.code, 'BAD_REQUEST');
  await close();
});

test('a gzip body over the limit says how big it may be, not "undefined bytes"', async () => {
  const { em, close } = await startEmulatorWithApp();
  const body = gzipSync(JSON.stringify({ from: 'a@example.com', body: 'x'.repeat(3 * 1024 * 1024) }));
  const r = await fetch(`${em.url}/v1/inbound/message`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, body });
  assert.equal(r.status, 413);
  const { error } = (await r.json()) as { error: { code: string; message: string } };
  assert.equal(error.code, 'EXCEEDED_MAX_SIZE');
  assert.doesNotMatch(error.message, /undefined/);
  assert.match(error.message, /more than \d+ bytes once decompressed/);
  await close();
});

test('a long-poll released by shutdown says how long it really waited', async () => {
  const { em, close } = await startEmulatorWithApp();
  const waiting = em.waitFor({ to: 'nobody@example.com', timeoutMs: 600_000 }).then(
    () => assert.fail('nothing was sent'),
    (e: Error) => e,
  );
  await close();
  const e = await waiting;
  assert.match(e.message, /shut down after \d+ ms of the 600000 ms wait/);
});

/** The raw HTTP answer to a GET of `path` (a long-poll) when the emulator shuts down while it waits. */
async function cutByShutdown(path: string): Promise<string> {
  const { em, close } = await startEmulatorWithApp();
  // Node publishes each request just before the emulator's handler runs; the handler registers its wait
  // synchronously, so once this resolves (a promise job, after that handler) the long-poll is waiting.
  const started = new Promise<void>((resolve) => {
    const onStart = (): void => {
      diagnostics_channel.unsubscribe('http.server.request.start', onStart);
      resolve();
    };
    diagnostics_channel.subscribe('http.server.request.start', onStart);
  });
  const answer = raw(em.port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  await started;
  await close();
  return answer;
}

test('an HTTP long-poll cut off by shutdown gets the coded answer, not an empty reply', async () => {
  const got = await cutByShutdown('/v1/outbox/wait?timeout_ms=60000');
  assert.match(got, /^HTTP\/1\.1 408 /);
  assert.match(got, /"code":"TIMEOUT","message":"the emulator shut down after \d+ ms of the 60000 ms wait/);
});

test('a negative wait cut short by shutdown fails with TIMEOUT instead of passing', async () => {
  const { em, close } = await startEmulatorWithApp();
  const checking = em.expectNone({ to: 'nobody@example.com', timeoutMs: 600_000 }).then(
    () => assert.fail('a check that did not run its course passed'),
    (e: Error & { code?: string }) => e,
  );
  await close();
  const e = await checking;
  assert.equal(e.code, 'TIMEOUT');
  assert.match(e.message, /shut down after \d+ ms of the 600000 ms negative wait; .*cut short/);
});

test('an HTTP expect_none cut off by shutdown answers 408 TIMEOUT, not 200 ok', async () => {
  const got = await cutByShutdown('/v1/outbox/expect_none?to=nobody@example.com&timeout_ms=60000');
  assert.match(got, /^HTTP\/1\.1 408 /);
  assert.match(got, /"code":"TIMEOUT","message":"the emulator shut down after \d+ ms of the 60000 ms negative wait/);
  assert.doesNotMatch(got, /"ok":true/);
});

test('waitFor without options is a rejected promise, never a synchronous throw', async () => {
  const { em, close } = await startEmulatorWithApp();
  try {
    let waiting: Promise<unknown> | undefined;
    assert.doesNotThrow(() => {
      waiting = em.waitFor(null as unknown as Parameters<typeof em.waitFor>[0]);
    });
    await assert.rejects(waiting!);
  } finally {
    await close();
  }
});

test("a delivery timeout past setTimeout's range waits, without a TimeoutOverflowWarning or a spinning timer", async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(w.name);
  process.on('warning', onWarning);
  try {
    const { em, close } = await startEmulatorWithApp({ deliveryTimeoutMs: 3_000_000_000 });
    try {
      const r = await em.injectMessage({ from: 'alice@example.com/phone', body: 'hello' });
      assert.equal(r.delivered, true);
      // Warnings are emitted on a later tick: let one full turn pass before looking.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      await close();
    }
    assert.deepEqual(
      warnings.filter((n) => n === 'TimeoutOverflowWarning'),
      [],
    );
  } finally {
    process.off('warning', onWarning);
  }
});

test('waits, expect_sequence and expect_none released by a reset say so, and the negative wait fails', async () => {
  const { em, close } = await startEmulatorWithApp();
  // Closed whatever happens, so a failing assertion fails the file instead of leaving its servers open.
  try {
    const waiting = em.waitFor({ to: 'nobody@example.com', timeoutMs: 600_000 }).then(
      () => assert.fail('nothing was sent'),
      (e: Error & { code?: string }) => e,
    );
    const checking = em.expectNone({ to: 'nobody@example.com', timeoutMs: 600_000 }).then(
      () => assert.fail('a check that did not run its course passed'),
      (e: Error & { code?: string }) => e,
    );
    const sequence = em.expectSequence({ steps: [{ to: 'nobody@example.com' }], timeoutMs: 600_000 }).then(
      () => assert.fail('nothing was sent'),
      (e: Error & { code?: string }) => e,
    );
    await em.reset();
    const [w, c, q] = await Promise.all([waiting, checking, sequence]);
    assert.equal(q.code, 'TIMEOUT');
    assert.match(q.message, /^the namespace was reset while waiting for step 1 of 1 .*; the sequence was cut short/);
    assert.equal(w.code, 'TIMEOUT');
    assert.match(w.message, /^the namespace was reset after \d+ ms of the 600000 ms wait; no outbox entry matched/);
    assert.equal(c.code, 'TIMEOUT');
    assert.match(c.message, /^the namespace was reset after \d+ ms of the 600000 ms negative wait; .*cut short/);
    // Waits made after the reset work as before.
    const after = em.waitFor({ to: 'bob@example.com', timeoutMs: 600_000 });
    assert.equal((await postJson(em.url, '/v1/xmpp/send_message', { jids: 'bob@example.com', body: 'after' })).status, 200);
    assert.equal((await after).body, 'after');
  } finally {
    await close();
  }
});
