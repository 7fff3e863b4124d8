// Shutdown and the end of the turn (src/core/turn-end.ts): a call that took effect is answered and what it set going
// (a loop-back) is POSTed, when close() or the CLI's SIGTERM comes in the same turn of the event loop as the call.
// Each test orders the events by the loop's phases and the kernel's queues, never by a timer.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, test } from 'node:test';
import { startEmulator, type DeliveryResult } from '../../src/index.js';
import { killAll, runCli } from '../cli-process.js';

// A failing test must not leave a server holding the file open.
const open: Array<{ close: () => unknown }> = [];
after(async () => {
  killAll();
  await Promise.all(open.map((o) => o.close()));
});

const APP_JID = 'dev-app@appspot.com';

/** An app that records the paths of the POSTs it gets and answers each 200. */
async function startApp(): Promise<{ url: string; posts: string[]; close: () => void }> {
  const posts: string[] = [];
  const app = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST') posts.push(req.url ?? '');
      res.end('ok');
    });
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  open.push(app);
  return { url: `http://127.0.0.1:${(app.address() as net.AddressInfo).port}`, posts, close: () => app.close() };
}

/** A raw connection that gathers what it is sent; `until` resolves once that matches (or the connection ends). */
function rawClient(port: number): { socket: net.Socket; got: () => string; until: (re: RegExp) => Promise<string>; closed: Promise<void> } {
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  let got = '';
  const checks = new Set<() => void>();
  socket.on('data', (d) => {
    got += d;
    checks.forEach((c) => c());
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((r) => socket.on('close', () => (checks.forEach((c) => c()), r())));
  const until = (re: RegExp): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (re.test(got)) resolve((checks.delete(check), got));
        else if (socket.destroyed) reject(new Error(`the connection ended before ${re}; it got ${JSON.stringify(got)}`));
      };
      checks.add(check);
      check();
    });
  return { socket, got: () => got, until, closed };
}

const sendHead = (port: number, body: string, extra = ''): string =>
  `POST /v1/xmpp/send_message HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n`;

test('close() begun in the turn that reads a call: the call, which took effect, is answered before connections end', async () => {
  const em = await startEmulator({ port: 0, appUrl: 'http://127.0.0.1:9', appYaml: null, xmpp: false });
  open.push(em);
  let sent = 0;
  em.onEvent((e) => void (e.type === 'sent' && sent++));
  const body = JSON.stringify({ jids: ['bob@example.com'], body: 'last words' });
  const c = rawClient(em.port);
  // The headers first: once the server says 100 Continue, the request is under way (not an idle connection).
  c.socket.write(sendHead(em.port, body, 'Expect: 100-continue\r\n'));
  await c.until(/100 Continue/);
  // In a setImmediate: the body reaches the server's socket now, and close() runs until its own setImmediate (queued for
  // the next check phase). The next turn's poll reads the call, whose answer is queued behind close's setImmediate.
  const closing = await new Promise<Promise<void>>((resolve) =>
    setImmediate(() => {
      c.socket.write(body);
      resolve(em.close());
    }),
  );
  await closing;
  await c.closed;
  assert.equal(sent, 1, 'the call took effect');
  assert.match(c.got(), /HTTP\/1\.1 200 OK[^]*\{"statuses":\[0\]\}/, 'and was answered');
});

test('close() right after waitFor heard a send to the app itself: the loop-back is still POSTed and delivered', async () => {
  const app = await startApp();
  const em = await startEmulator({ port: 0, appUrl: app.url, appYaml: null, xmpp: false });
  open.push(em);
  const delivered: DeliveryResult[] = [];
  em.onEvent((e) => void (e.type === 'delivered' && delivered.push(e.result)));
  const call = fetch(`${em.url}/v1/xmpp/send_message`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jids: [APP_JID], body: 'note to self' }),
  });
  await em.waitFor({ to: APP_JID, timeoutMs: 10_000 });
  await em.close();
  assert.equal((await call).status, 200);
  assert.deepEqual(app.posts, [`/_ah/xmpp/message/chat/`]);
  assert.deepEqual(
    delivered.map((r) => [r.delivered, r.reason]),
    [[true, undefined]],
  );
  app.close();
});

test('a latency fault: the answer reaches the app before the loop-back; close() ends the latency, answering and delivering', async () => {
  const app = await startApp();
  const em = await startEmulator({ port: 0, appUrl: app.url, appYaml: null, xmpp: false });
  open.push(em);
  const body = JSON.stringify({ jids: [APP_JID], body: 'self' });
  // Answer first: the raw client has its answer when the app's loop-back arrives (the kernel queues the answer first).
  await em.addFault({ call: 'send_message', latency_ms: 50 });
  const first = rawClient(em.port);
  const answeredAtLoopBack = new Promise<string>((resolve) => em.onEvent((e) => void (e.type === 'delivered' && resolve(first.got()))));
  first.socket.write(sendHead(em.port, body) + body);
  await first.until(/\{"statuses":\[0\]\}/);
  assert.match(await answeredAtLoopBack, /HTTP\/1\.1 200 OK/);
  first.socket.destroy();
  // A latency longer than any test: close() does not wait it out, and loses neither the answer nor the loop-back.
  await em.clearFaults();
  await em.addFault({ call: 'send_message', latency_ms: 600_000 });
  const delivered: DeliveryResult[] = [];
  em.onEvent((e) => void (e.type === 'delivered' && delivered.push(e.result)));
  const held = JSON.stringify({ jids: [APP_JID], body: 'held' });
  const call = fetch(`${em.url}/v1/xmpp/send_message`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: held });
  await em.waitFor({ to: APP_JID, contains: 'held', timeoutMs: 10_000 });
  await em.close();
  assert.equal((await call).status, 200);
  assert.equal(app.posts.length, 2);
  assert.deepEqual(
    delivered.map((r) => r.delivered),
    [true],
  );
  app.close();
});

test('SIGTERM to the CLI in the turn that reads a send to the app itself: answered, and the loop-back delivered before exit', async () => {
  const app = await startApp();
  const cli = runCli(['start', '--json', '--port', '0', '--no-xmpp', '--app-url', app.url]);
  const port = (JSON.parse((await cli.waitFor(/\n/)).split('\n')[0]!) as { port: number }).port;
  const c = rawClient(port);
  const warm = JSON.stringify({ jids: ['bob@example.com'], body: 'warm' });
  c.socket.write(sendHead(port, warm) + warm);
  await c.until(/\{"statuses":\[0\]\}/);
  // Stopped, the CLI cannot read before it is continued; then the call and SIGTERM are both waiting, the call first.
  cli.child.kill('SIGSTOP');
  const body = JSON.stringify({ jids: [APP_JID], body: 'to myself' });
  await new Promise<void>((r) => c.socket.write(sendHead(port, body) + body, () => r()));
  cli.child.kill('SIGTERM');
  cli.child.kill('SIGCONT');
  assert.equal(await cli.exited, 0);
  await c.closed;
  assert.equal(c.got().split('{"statuses":[0]}').length, 3, `both calls answered: ${JSON.stringify(c.got())}`);
  assert.deepEqual(app.posts, ['/_ah/xmpp/message/chat/']);
  const results = cli
    .stdout()
    .split('\n')
    .filter((l) => l.includes('"delivered"'))
    .map((l) => (JSON.parse(l) as { result: DeliveryResult }).result);
  assert.deepEqual(
    results.map((r) => [r.delivered, r.reason]),
    [[true, undefined]],
  );
  app.close();
});
