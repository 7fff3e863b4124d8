import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import type FormDataType from 'form-data';
import http from 'node:http';
import net from 'node:net';
import { appClient, Boundaries, CAPTURE_BYTES, encodeParts, joinUrl, postParts, UNDICI_AGENT } from '../../../src/core/deliver.js';
import { seededRandom } from '../../../src/domain/random.js';

const part = (value: string) => [{ name: 'body', value, contentType: 'text/plain; charset="UTF-8"' }];

test('multipart boundaries come from the seed: the same seed gives the same bytes, another seed others', () => {
  const body = (seed: number) => encodeParts(part('hello'), new Boundaries(seededRandom(seed)));
  assert.deepEqual(body(42), body(42));
  assert.notEqual(body(42).contentType, body(43).contentType);
  assert.match(body(42).contentType, /^multipart\/form-data; boundary=xmpp-emu-[0-9a-f]{24}$/);
});

test('multipart encoding: a part that contains the boundary gets another one, and every value reads back', async () => {
  const boundaries = new Boundaries(seededRandom(7));
  const first = encodeParts(part('x'), boundaries);
  const boundary = first.contentType.split('boundary=')[1]!;
  const tricky = `--${boundary}\r\nContent-Disposition: form-data; name="evil"\r\n\r\nboo`;
  const second = encodeParts(part(tricky), boundaries);
  const other = second.contentType.split('boundary=')[1]!;
  assert.notEqual(other, boundary);
  const fd = await new Response(new Uint8Array(second.body), { headers: { 'content-type': second.contentType } }).formData();
  assert.equal(fd.get('body'), tricky);
  assert.equal(fd.get('evil'), null);
});

test('joinUrl: one slash between the app URL and the path', () => {
  for (const base of ['http://127.0.0.1:8080', 'http://127.0.0.1:8080/', 'http://127.0.0.1:8080//']) {
    assert.equal(joinUrl(base, '/_ah/xmpp/message/chat/'), 'http://127.0.0.1:8080/_ah/xmpp/message/chat/');
  }
});

test('multipart encoding: the same bytes as form-data builds for the same parts, whatever the values', () => {
  const require = createRequire(import.meta.url);
  const FormData = require('form-data') as typeof FormDataType;
  const boundaries = new Boundaries(seededRandom(3));
  const values = ['', 'hello', 'Ünïcødé ✓ 🎉', 'a\r\nb\nc"d\\e', '\u0000 0 \u0000', '<x a="1">&amp;</x>', 'z'.repeat(70_000)];
  const shapes = [['from', 'to', 'body', 'stanza'], ['from', 'to', 'stanza'], ['stanza']];
  for (const names of shapes) {
    for (const [i, value] of values.entries()) {
      const parts = names.map((name, k) => ({
        name,
        value: k === 0 ? value : `${name} ${values[(i + k) % values.length]}`,
        contentType: k % 2 ? 'text/xml; charset="UTF-8"' : 'text/plain; charset="UTF-8"',
      }));
      const { body, contentType } = encodeParts(parts, boundaries);
      const form = new FormData();
      form.setBoundary(contentType.split('boundary=')[1]!);
      for (const p of parts) form.append(p.name, p.value, { contentType: p.contentType });
      assert.equal(contentType, form.getHeaders()['content-type']);
      assert.ok(body.equals(form.getBuffer()), `${names.join(',')} with value #${i}`);
    }
  }
});

test('each POST gives up after its own timeout, however many are waiting and whatever their lengths; an answer in time is kept', async () => {
  // An app that answers /fast at once and never answers anything else.
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    req.resume();
    if (req.url === '/fast') res.end('ok');
    else hanging.add(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const client = appClient(400);
  const boundaries = new Boundaries(seededRandom(1));
  const post = (path: string, timeoutMs: number) => postParts(`${base}${path}`, part('x'), {}, timeoutMs, client, boundaries);
  try {
    const started = performance.now();
    const long = post('/hang', 400);
    const short = post('/hang', 100);
    const fast = await post('/fast', 100);
    assert.equal(fast.status, 200);
    const later = post('/hang', 100);
    const laterStarted = performance.now();
    const [s, l, t] = await Promise.all([short, long, later]);
    for (const [o, ms] of [
      [s, 100],
      [l, 400],
      [t, 100],
    ] as const) {
      assert.equal(o.status, null);
      assert.match(o.reason!, new RegExp(`did not answer within ${ms} ms`));
      assert.ok(o.durationMs >= ms - 1, `gave up after ${o.durationMs} ms, not before ${ms}`);
    }
    assert.ok(performance.now() - laterStarted >= 99);
    assert.ok(performance.now() - started >= 399);
  } finally {
    await client.destroy();
    for (const res of hanging) res.destroy();
    server.close();
  }
});

test('a POST sends the headers the inspector shows, the body they describe, and the URL credentials; the answer is captured as node:http read it', async () => {
  let seen: { method?: string; url?: string; headers: http.IncomingHttpHeaders; body: Buffer } | null = null;
  const long = 'é'.repeat(CAPTURE_BYTES); // twice CAPTURE_BYTES in UTF-8
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) };
      res.writeHead(503, [
        ['X-Shape', 'one'],
        ['x-shape', 'two'],
        ['Content-Type', 'text/plain; charset=utf-8'],
      ]);
      res.end(long);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const client = appClient(5_000);
  const boundaries = new Boundaries(seededRandom(5));
  const url = `http://ann%40x:p%3Ass@127.0.0.1:${port}/_ah/xmpp/message/chat/?v=1`;
  try {
    const o = await postParts(url, part('hello'), { 'X-AppEngine-API-Ticket': 't-1' }, 5_000, client, boundaries);
    assert.equal(o.status, 503);
    assert.equal(o.reason, `the app answered HTTP 503 (POST ${url})`);
    const got = seen!;
    assert.equal(got.method, 'POST');
    assert.equal(got.url, '/_ah/xmpp/message/chat/?v=1');
    assert.equal(got.headers.authorization, `Basic ${Buffer.from('ann@x:p:ss').toString('base64')}`);
    const { body, contentType } = encodeParts(part('hello'), boundaries);
    assert.ok(got.body.equals(body));
    // What the inspector shows is what the app got, header for header.
    const shown = o.exchange!.request;
    assert.equal(shown.body_bytes, body.length);
    assert.equal(shown.headers['Content-Type'], contentType);
    for (const [name, value] of Object.entries(shown.headers)) assert.equal(got.headers[name.toLowerCase()], value, name);
    assert.equal(got.headers['x-appengine-api-ticket'], 't-1');
    assert.deepEqual(shown.parts, [{ name: 'body', content_type: 'text/plain; charset="UTF-8"', value: 'hello', truncated: false }]);
    const answer = o.exchange!.response!;
    assert.equal(answer.status, 503);
    assert.equal(answer.headers['x-shape'], 'one, two');
    assert.equal(answer.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(answer.body_bytes, Buffer.byteLength(long));
    assert.equal(answer.truncated, true);
    assert.equal(Buffer.byteLength(answer.body), CAPTURE_BYTES);
    assert.ok(long.startsWith(answer.body));
  } finally {
    await client.destroy();
    server.close();
  }
});

test('a POST to nothing, or to a URL that is not http, is a clear reason, never a throw', async () => {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const client = appClient(5_000);
  const boundaries = new Boundaries(seededRandom(6));
  try {
    const refused = await postParts(`http://127.0.0.1:${port}/x`, part('a'), {}, 5_000, client, boundaries);
    assert.equal(refused.status, null);
    assert.match(refused.reason!, /^the app could not be reached: nothing is listening at http:\/\/127\.0\.0\.1:\d+ \(connection refused\)/);
    for (const bad of ['ftp://127.0.0.1/x', 'not a url']) {
      const o = await postParts(bad, part('a'), {}, 5_000, client, boundaries);
      assert.equal(o.status, null);
      assert.equal(o.reason, `the app URL "${bad}" is not a valid URL`);
    }
  } finally {
    await client.destroy();
  }
});

test("the inspector's copy of the app's answer headers is node:http's reading of them, repeated headers and all", async () => {
  const answer: Array<[string, string]> = [
    ['Content-Type', 'text/plain'],
    ['content-type', 'text/html'],
    ['Set-Cookie', 'a=1'],
    ['set-cookie', 'b=2'],
    ['Cookie', 'c=3'],
    ['cookie', 'd=4'],
    ['X-Shape', 'one'],
    ['x-shape', 'two'],
    ['Location', '/first'],
    ['Location', '/second'],
    ['ETag', '"e1"'],
    ['etag', '"e2"'],
    ['Server', 's1'],
    ['Server', 's2'],
    ['Age', '1'],
    ['Age', '2'],
    ['Expires', 'never'],
    ['Expires', 'soon'],
    ['Retry-After', '1'],
    ['Retry-After', '2'],
    ['Vary', 'a'],
    ['Vary', 'b'],
    ['WWW-Authenticate', 'Basic'],
    ['WWW-Authenticate', 'Bearer'],
  ];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, answer);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/_ah/xmpp/message/chat/`;
  const client = appClient(5_000);
  try {
    const viaNode = await new Promise<http.IncomingHttpHeaders>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.headers));
      });
      req.on('error', reject);
      req.end('x');
    });
    const o = await postParts(url, part('hello'), {}, 5_000, client, new Boundaries(seededRandom(8)));
    const expected: Record<string, string> = {};
    for (const [name, value] of Object.entries(viaNode)) if (value !== undefined) expected[name] = Array.isArray(value) ? value.join(', ') : value;
    delete expected.connection; // node:http's one-off request closed its connection; the delivery's is kept alive
    const got = { ...o.exchange!.response!.headers };
    delete got.connection;
    delete got['keep-alive'];
    assert.deepEqual(got, expected);
    assert.equal(got['content-type'], 'text/plain');
    assert.equal(got['set-cookie'], 'a=1, b=2');
    assert.equal(got.cookie, 'c=3; d=4');
  } finally {
    await client.destroy();
    server.close();
  }
});

test('an app that closes the connection without answering: the reason says the socket hung up, as node:http did', async () => {
  const server = http.createServer((req) => req.socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/x`;
  const client = appClient(5_000);
  try {
    const o = await postParts(url, part('a'), {}, 5_000, client, new Boundaries(seededRandom(9)));
    assert.equal(o.status, null);
    assert.equal(o.reason, `the app could not be reached: ECONNRESET socket hang up (POST ${url})`);
  } finally {
    await client.destroy();
    server.close();
  }
});

test("undici, whose internal file deliveries load, is pinned to one version: package.json's is exact, the lock's the same", () => {
  const require = createRequire(import.meta.url);
  const root = new URL('../../../../', import.meta.url);
  const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { dependencies: Record<string, string> };
  const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8')) as { packages: Record<string, { version: string }> };
  const pinned = pkg.dependencies.undici!;
  assert.match(pinned, /^\d+\.\d+\.\d+$/, `undici ${pinned} is a range: an install without the lock may get a release without ${UNDICI_AGENT}`);
  assert.equal(lock.packages['node_modules/undici']!.version, pinned);
  assert.equal((require('undici/package.json') as { version: string }).version, pinned);
  require.resolve(UNDICI_AGENT);
});

/** An app on a raw socket: once the request's head is in, it writes `answer` and closes the connection. */
async function rawApp(answer: string): Promise<{ url: string; close: () => void }> {
  const server = net.createServer((s) => {
    let head = '';
    s.on('data', (d: Buffer) => {
      if (s.writableEnded) return;
      head += d.toString('latin1');
      if (head.includes('\r\n\r\n')) s.end(answer);
    });
    s.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/x`, close: () => server.close() };
}

test('an app that answers and closes before the end of its body: its status stands and the body is shown as far as it came, as with node:http', async () => {
  for (const [status, reason] of [
    [200, undefined],
    [503, 'the app answered HTTP 503'],
  ] as const) {
    const app = await rawApp(`HTTP/1.1 ${status} X\r\nContent-Length: 10\r\nX-Shape: cut\r\n\r\nab`);
    const client = appClient(5_000);
    try {
      const o = await postParts(app.url, part('a'), {}, 5_000, client, new Boundaries(seededRandom(10)));
      assert.equal(o.status, status);
      assert.equal(o.reason, reason && `${reason} (POST ${app.url})`);
      const answer = o.exchange!.response!;
      assert.equal(answer.status, status);
      assert.equal(answer.body, 'ab');
      assert.equal(answer.body_bytes, 2);
      assert.equal(answer.truncated, false);
      assert.equal(answer.headers['x-shape'], 'cut');
    } finally {
      await client.destroy();
      app.close();
    }
  }
});

test("answer headers named like Object.prototype's members (constructor, toString, __proto__) are the app's values", async () => {
  const app = await rawApp(
    'HTTP/1.1 200 OK\r\nConstructor: x\r\ntoString: y\r\n__proto__: z\r\nValueOf: w\r\nhasOwnProperty: v\r\nConstructor: x2\r\nContent-Length: 2\r\n\r\nok',
  );
  const client = appClient(5_000);
  try {
    const o = await postParts(app.url, part('a'), {}, 5_000, client, new Boundaries(seededRandom(11)));
    const h = o.exchange!.response!.headers;
    assert.equal(h.constructor, 'x, x2');
    assert.equal(h.tostring, 'y');
    assert.equal(h.valueof, 'w');
    assert.equal(h.hasownproperty, 'v');
    assert.ok(Object.hasOwn(h, '__proto__'));
    assert.equal(Object.getOwnPropertyDescriptor(h, '__proto__')!.value, 'z');
    // Only what the app sent: nothing inherited reads as a header.
    assert.equal(h.toString, undefined);
    assert.equal(h.isPrototypeOf, undefined);
    assert.deepEqual(Object.keys(h).sort(), ['__proto__', 'constructor', 'content-length', 'hasownproperty', 'tostring', 'valueof']);
    assert.equal(JSON.parse(JSON.stringify(h)).constructor, 'x, x2');
  } finally {
    await client.destroy();
    app.close();
  }
});
