// Bad clients on the XMPP endpoints: malformed XML, a huge stanza, a handshake never finished, 200 clients at once.
// Each gets a stream error and a clean close, and the emulator, its other clients and the app carry on.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { bodyOf, startStack, xmppjs, type Stack } from './xmpp-stack.js';

const FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';

let stack: Stack;
before(async () => {
  stack = await startStack({ xmppHandshakeTimeoutMs: 5_000 });
});
after(() => stack.close());

/** A hand-driven RFC 7395 connection: frames queue up and are taken in order. */
async function rawWs(url: string): Promise<{ ws: WebSocket; frame(): Promise<string>; closed: Promise<number> }> {
  const ws = new WebSocket(url, ['xmpp']);
  const frames: string[] = [];
  const waiters: Array<(f: string) => void> = [];
  ws.on('message', (d) => {
    const w = waiters.shift();
    if (w) w(d.toString());
    else frames.push(d.toString());
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, closed, frame: () => (frames.length ? Promise.resolve(frames.shift()!) : new Promise((resolve) => waiters.push(resolve))) };
}

async function openStream(c: Awaited<ReturnType<typeof rawWs>>): Promise<void> {
  c.ws.send(`<open xmlns="${FRAMING}" to="example.com" version="1.0"/>`);
  assert.match(await c.frame(), /^<open /);
  assert.match(await c.frame(), /<mechanism>PLAIN<\/mechanism>/);
}

/** Sign in and bind by hand; answers the bound JID. */
async function signIn(c: Awaited<ReturnType<typeof rawWs>>, user: string): Promise<string> {
  await openStream(c);
  c.ws.send(`<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">${Buffer.from(`\0${user}\0pw`).toString('base64')}</auth>`);
  assert.match(await c.frame(), /^<success /);
  c.ws.send(`<open xmlns="${FRAMING}" to="example.com" version="1.0"/>`);
  await c.frame();
  assert.match(await c.frame(), /<bind /);
  c.ws.send('<iq xmlns="jabber:client" type="set" id="b1"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></iq>');
  for (;;) {
    const f = await c.frame();
    // Under load another stanza (a presence, a ping) can come before the bind result: skip what is not an iq.
    if (!f.startsWith('<iq')) continue;
    const m = /<jid>([^<]+)<\/jid>/.exec(f);
    assert.ok(m, `bind answered ${f}`);
    return m[1]!;
  }
}

async function healthy(): Promise<void> {
  assert.equal((await fetch(`${stack.em.url}/healthz`)).status, 200);
  const probe = await xmppjs(stack.em, { username: 'probe' });
  await probe.raw.start();
  await probe.raw.send(probe.xml('message', { to: 'dev-app@appspot.com', type: 'chat' }, probe.xml('body', {}, '/echo still here')));
  await probe.stanza((s) => bodyOf(s) === 'still here');
  await probe.raw.stop();
}

const malformed: Array<[string, string, RegExp]> = [
  ['an unclosed element', '<message xmlns="jabber:client"><body>hi</message>', /not-well-formed/],
  ['a character XML cannot carry', '<message xmlns="jabber:client"><body>\u0001</body></message>', /not-well-formed/],
  ['a comment', '<!-- hello --><message xmlns="jabber:client"/>', /restricted-xml/],
  ['a DOCTYPE', '<!DOCTYPE x [<!ENTITY a "b">]><x/>', /restricted-xml|not-well-formed/],
  ['two elements in one frame', '<a/><b/>', /not-well-formed|bad-format/],
  ['leading whitespace', ' <message xmlns="jabber:client"/>', /not-well-formed/],
  ['a stanza before signing in', '<message xmlns="jabber:client" to="dev-app@appspot.com"><body>x</body></message>', /not-authorized/],
];

for (const [what, frame, condition] of malformed) {
  test(`WebSocket: ${what} → a stream error, <close/>, the socket closed`, async () => {
    const c = await rawWs(stack.em.xmppWebsocket!);
    await openStream(c);
    c.ws.send(frame);
    const error = await c.frame();
    assert.match(error, /^<stream:error xmlns:stream="http:\/\/etherx.jabber.org\/streams">/);
    assert.match(error, condition);
    assert.match(await c.frame(), /^<close /);
    assert.equal(await c.closed, 1000);
  });
}

test('WebSocket: a frame larger than 256 KiB closes that connection (1009); others carry on', async () => {
  const c = await rawWs(stack.em.xmppWebsocket!);
  const jid = await signIn(c, 'huge');
  assert.match(jid, /^huge@example\.com\//);
  c.ws.send(`<message xmlns="jabber:client" to="dev-app@appspot.com"><body>${'a'.repeat(300 * 1024)}</body></message>`);
  assert.equal(await c.closed, 1009);
  await healthy();
});

test('TCP: garbage, a huge stanza and plain-text SASL are refused with stream errors', async () => {
  const talk = async (send: string): Promise<string> => {
    const s = net.connect(stack.em.xmppPort!, '127.0.0.1');
    let got = '';
    s.on('data', (d) => (got += d.toString()));
    s.on('error', () => undefined);
    await new Promise((resolve) => s.once('connect', resolve));
    s.write(send);
    await new Promise((resolve) => s.once('close', resolve));
    return got;
  };
  const header = `<?xml version='1.0'?><stream:stream xmlns="jabber:client" xmlns:stream="http://etherx.jabber.org/streams" to="example.com" version="1.0">`;
  assert.match(await talk(`${header}<iq><<<`), /<not-well-formed [^>]*\/>.*<\/stream:stream>$/s);
  assert.match(await talk(`${header}<message><body>${'b'.repeat(300 * 1024)}`), /<policy-violation /);
  // STARTTLS is required: credentials never travel in plain text.
  const plain = await talk(`${header}<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">AGEAYg==</auth>`);
  assert.match(plain, /<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"><required\/><\/starttls>/);
  assert.match(plain, /<policy-violation /);
  await healthy();
});

test('a stanza nested 30,000 deep, before TLS or sign-in, is refused past 100 levels at once; /healthz answers meanwhile', async () => {
  // 30,000 levels fit under the 256 KiB stanza limit; parsed whole, each level cost its depth (seconds of a frozen loop).
  const deep = `<message xmlns="jabber:client">${'<x>'.repeat(30_000)}${'</x>'.repeat(30_000)}</message>`;
  const s = net.connect(stack.em.xmppPort!, '127.0.0.1');
  let got = '';
  s.on('data', (d) => (got += d.toString()));
  s.on('error', () => undefined);
  await new Promise((resolve) => s.once('connect', resolve));
  s.write(`<stream:stream xmlns="jabber:client" xmlns:stream="http://etherx.jabber.org/streams" to="example.com" version="1.0">${deep}`);
  const [health] = await Promise.all([fetch(`${stack.em.url}/healthz`), new Promise((resolve) => s.once('close', resolve))]);
  assert.equal(health.status, 200);
  assert.match(got, /<policy-violation [^>]*\/><text [^>]*>a stanza&apos;s elements nest deeper than 100 levels<\/text><\/stream:error><\/stream:stream>$/);
  const c = await rawWs(stack.em.xmppWebsocket!);
  await openStream(c);
  c.ws.send(deep);
  const [error] = await Promise.all([c.frame(), fetch(`${stack.em.url}/healthz`).then((r) => assert.equal(r.status, 200))]);
  assert.match(error, /<policy-violation [^>]*\/><text [^>]*>a stanza&apos;s elements nest deeper than 100 levels</);
  assert.match(await c.frame(), /^<close /);
  assert.equal(await c.closed, 1000);
  await healthy();
});

test('a client that never finishes the handshake is cut off after the handshake timeout', async () => {
  const quick = await startStack({ xmppHandshakeTimeoutMs: 200 });
  try {
    const s = net.connect(quick.em.xmppPort!, '127.0.0.1');
    let got = '';
    s.on('data', (d) => (got += d.toString()));
    await new Promise((resolve) => s.once('close', resolve));
    assert.match(got, /<connection-timeout /);
    const c = await rawWs(quick.em.xmppWebsocket!);
    await openStream(c);
    assert.match(await c.frame(), /<connection-timeout /);
    assert.equal(await c.closed, 1000);
  } finally {
    await quick.close();
  }
});

test('200 clients at once sign in; every tenth chats with the bot and gets its own reply', async () => {
  const clients = await Promise.all(Array.from({ length: 200 }, () => rawWs(stack.em.xmppWebsocket!)));
  const jids = await Promise.all(clients.map((c, i) => signIn(c, `crowd${i}`)));
  assert.equal(new Set(jids).size, 200);
  assert.equal(await (await fetch(`${stack.em.url}/healthz`)).status, 200);
  // A tenth of them chat: the delivery path's own speed is measured by the bench, not here.
  await Promise.all(
    clients
      .filter((_, i) => i % 10 === 0)
      .map(async (c, i) => {
        c.ws.send(`<message xmlns="jabber:client" to="dev-app@appspot.com" type="chat"><body>/echo n${i}</body></message>`);
        for (;;) {
          const f = await c.frame();
          if (f.includes(`<body>n${i}</body>`)) return;
        }
      }),
  );
  const connected = ((await stack.em.listPresence()).connected ?? []).filter((s) => s.jid.startsWith('crowd'));
  assert.equal(connected.length, 200);
  await Promise.all(
    clients.map(async (c) => {
      c.ws.send(`<close xmlns="${FRAMING}"/>`);
      await c.closed;
    }),
  );
  await healthy();
});

test('XEP-0199 both ways: the server pings signed-in clients; one that answers stays, one that does not is closed', async () => {
  const pinging = await startStack({ xmppPingIntervalMs: 150 });
  try {
    const silent = await rawWs(pinging.em.xmppWebsocket!);
    await signIn(silent, 'silent');
    assert.match(await silent.frame(), /^<iq xmlns="jabber:client" type="get" id="ping-[0-9a-f]+"[^>]*><ping xmlns="urn:xmpp:ping"\/><\/iq>$/);
    assert.match(await silent.frame(), /<connection-timeout /);
    assert.equal(await silent.closed, 1000);
  } finally {
    await pinging.close();
  }
  // An answer has until the next ping: under a loaded machine 150 ms can pass before the client's answer is read, so
  // the one that answers gets a second between pings.
  const patient = await startStack({ xmppPingIntervalMs: 1000 });
  const polite = await xmppjs(patient.em, { username: 'polite' });
  try {
    await polite.raw.start();
    // @xmpp/client answers pings itself; after two it is still signed in and chatting.
    await polite.stanza((s) => polite.seen.filter((t) => t.is('iq') && t.getChild('ping')).length >= 2 && s.is('iq'));
    await polite.raw.iqCaller.request(polite.xml('iq', { type: 'get' }, polite.xml('ping', { xmlns: 'urn:xmpp:ping' })));
    await polite.raw.send(polite.xml('message', { to: 'dev-app@appspot.com', type: 'chat' }, polite.xml('body', {}, '/echo pong')));
    await polite.stanza((s) => bodyOf(s) === 'pong');
  } finally {
    // Stopped whatever happened: a client left running reconnects forever and keeps the test process alive.
    await polite.raw.stop().catch(() => undefined);
    await patient.close();
  }
});
