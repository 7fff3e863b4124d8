// Real clients no one here wrote (@xmpp/client, stanza) over XMPP-over-WebSocket, chatting with the sample bot.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createClient } from 'stanza';
import { WebSocket } from 'ws';
import { startEmulatorWithApp } from '../helpers.js';
import { bodyOf, nextEvent, serviceCall, startStack, xmppjs, type Stack } from './xmpp-stack.js';

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(() => stack.close());

const APP = 'dev-app@appspot.com';

test('@xmpp/client signs in as alice@example.com, chats with the bot and gets its reply', async () => {
  const connected = nextEvent(stack.em, (e) => e.type === 'xmpp.session' && e.state === 'connected' && e.jid.startsWith('alice@'));
  const alice = await xmppjs(stack.em, { username: 'Alice', resource: 'laptop' });
  const address = await alice.raw.start();
  assert.equal(address.toString(), 'alice@example.com/laptop');
  assert.deepEqual((({ state, jid, transport }) => ({ state, jid, transport }))((await connected) as any), {
    state: 'connected',
    jid: 'alice@example.com/laptop',
    transport: 'websocket',
  });
  // The control API (and so `xmpp-emu presence list` and the REPL's .who) shows who is connected.
  await alice.raw.send(alice.xml('presence', {}, alice.xml('show', {}, 'chat'), alice.xml('status', {}, 'hi')));
  await alice.stanza((s) => s.is('presence') && s.attrs.from === 'alice@example.com/laptop');
  const listing = (await (await fetch(`${stack.em.url}/v1/presence`)).json()) as { connected: unknown[] };
  assert.deepEqual(
    listing.connected.filter((c: any) => c.jid.startsWith('alice@')),
    [{ jid: 'alice@example.com/laptop', transport: 'websocket', show: 'chat', status: 'hi' }],
  );
  const delivered = nextEvent(stack.em, (e) => e.type === 'delivered' && e.result.kind === 'message' && e.result.from.startsWith('alice@'));
  await alice.raw.send(alice.xml('message', { to: APP, type: 'chat' }, alice.xml('body', {}, 'hello there')));
  const reply = await alice.stanza((s) => s.is('message') && bodyOf(s) === 'Greetings!');
  assert.equal(reply.attrs.from, `${APP}/bot`);
  assert.equal(reply.attrs.to, 'alice@example.com/laptop');
  // The app saw the client's message through the same delivery path as the HTTP injections, with its full JID.
  const d = ((await delivered) as any).result;
  assert.deepEqual([d.delivered, d.from, d.to, d.body], [true, 'alice@example.com/laptop', APP, 'hello there']);
  await alice.raw.stop();
});

test("the app's unsolicited message, raw XML and invitation arrive; the client can accept the invitation", async () => {
  const bob = await xmppjs(stack.em, { username: 'bob', domain: 'gmail.com' });
  await bob.raw.start();
  await serviceCall(stack.em, 'send_message', { jids: 'bob@gmail.com', body: 'Build 42 passed <ok> & "done" ]]> 🎉' });
  const m = await bob.stanza((s) => s.is('message') && bodyOf(s)?.startsWith('Build 42'));
  assert.equal(bodyOf(m), 'Build 42 passed <ok> & "done" ]]> 🎉');
  assert.equal(m.attrs.type, 'chat');
  await serviceCall(stack.em, 'send_message', {
    jids: 'bob@gmail.com',
    body: '<html xmlns="http://jabber.org/protocol/xhtml-im"><body xmlns="http://www.w3.org/1999/xhtml"><b>bold</b></body></html>',
    raw_xml: true,
  });
  const raw = await bob.stanza((s) => s.is('message') && s.getChild('html'));
  assert.equal(raw.getChild('html').getChild('body').getChildText('b'), 'bold');

  await serviceCall(stack.em, 'send_invite', { jid: 'bob@gmail.com' });
  const invite = await bob.stanza((s) => s.is('presence') && s.attrs.type === 'subscribe');
  assert.equal(invite.attrs.from, APP);
  const subscribed = nextEvent(stack.em, (e) => e.type === 'delivered' && e.result.kind === 'subscription' && e.result.from === 'bob@gmail.com');
  await bob.raw.send(bob.xml('presence', { to: APP, type: 'subscribed' }));
  assert.equal(((await subscribed) as any).result.path, '/_ah/xmpp/subscription/subscribed/');
  await bob.raw.stop();
});

test('presence drives get_presence and the presence POSTs; a dropped connection reads as unavailable', async () => {
  const carol = await xmppjs(stack.em, { username: 'carol' });
  await carol.raw.start();
  const posted = nextEvent(stack.em, (e) => e.type === 'delivered' && e.result.kind === 'presence' && e.result.from.startsWith('carol@'));
  await carol.raw.send(carol.xml('presence', {}, carol.xml('show', {}, 'dnd'), carol.xml('status', {}, 'in a meeting')));
  assert.equal(((await posted) as any).result.path, '/_ah/xmpp/presence/available/');
  const [p] = (await serviceCall(stack.em, 'get_presence', { jid: 'carol@example.com' })).presence;
  assert.deepEqual([p.available, p.show, p.status], [true, 'dnd', 'in a meeting']);
  assert.ok(stack.bot.received.some((r) => r.kind === 'presence' && r.from.startsWith('carol@example.com/') && r.type === 'available'));

  // Drop the socket without a goodbye: the server must make carol unavailable itself.
  const gone = nextEvent(
    stack.em,
    (e) => e.type === 'delivered' && e.result.kind === 'presence' && e.result.type === 'unavailable' && e.result.from.startsWith('carol@'),
  );
  carol.raw.reconnect.stop();
  carol.raw.socket.socket.close();
  await gone;
  const [after] = (await serviceCall(stack.em, 'get_presence', { jid: 'carol@example.com' })).presence;
  assert.equal(after.available, false);
  await carol.raw.stop().catch(() => undefined);
});

test('subscribing to the app is accepted at once and POSTed to the subscription path', async () => {
  const dave = await xmppjs(stack.em, { username: 'dave' });
  await dave.raw.start();
  const posted = nextEvent(stack.em, (e) => e.type === 'delivered' && e.result.kind === 'subscription' && e.result.from === 'dave@example.com');
  await dave.raw.send(dave.xml('presence', { to: APP, type: 'subscribe' }));
  const accepted = await dave.stanza((s) => s.is('presence') && s.attrs.type === 'subscribed');
  assert.equal(accepted.attrs.from, APP);
  assert.equal(((await posted) as any).result.path, '/_ah/xmpp/subscription/subscribe/');
  // The sample bot thanks new subscribers: that message comes back over the same connection.
  await dave.stanza((s) => s.is('message') && bodyOf(s) === 'Thanks for subscribing!');
  await dave.raw.stop();
});

test('two resources of one user: a bare JID reaches both, a full JID one; get_presence follows the higher priority', async () => {
  const phone = await xmppjs(stack.em, { username: 'erin', resource: 'phone' });
  const desk = await xmppjs(stack.em, { username: 'erin', resource: 'desk' });
  await phone.raw.start();
  await desk.raw.start();
  await phone.raw.send(phone.xml('presence', {}, phone.xml('show', {}, 'xa'), phone.xml('priority', {}, '1')));
  await desk.raw.send(desk.xml('presence', {}, desk.xml('priority', {}, '5')));
  // Each resource sees the other's presence (RFC 6121 §4.2.2), so both presences have been handled once these arrive.
  await phone.stanza((s) => s.is('presence') && s.attrs.from === 'erin@example.com/desk');
  await desk.stanza((s) => s.is('presence') && s.attrs.from === 'erin@example.com/phone');
  const [p] = (await serviceCall(stack.em, 'get_presence', { jid: 'erin@example.com' })).presence;
  assert.deepEqual([p.available, p.show], [true, '']);

  await serviceCall(stack.em, 'send_message', { jids: 'erin@example.com', body: 'to everyone' });
  await Promise.all([phone, desk].map((c) => c.stanza((s) => bodyOf(s) === 'to everyone')));
  await serviceCall(stack.em, 'send_message', { jids: 'erin@example.com/phone', body: 'phone only' });
  await phone.stanza((s) => bodyOf(s) === 'phone only');
  await serviceCall(stack.em, 'send_message', { jids: 'erin@example.com/desk', body: 'desk only' });
  await desk.stanza((s) => bodyOf(s) === 'desk only');
  assert.equal(desk.seen.filter((s) => bodyOf(s) === 'phone only').length, 0);

  // The desk goes away: erin is still available, from the phone.
  await desk.raw.stop();
  const [left] = (await serviceCall(stack.em, 'get_presence', { jid: 'erin@example.com' })).presence;
  assert.deepEqual([left.available, left.show], [true, 'xa']);
  await phone.raw.stop();
});

test('messages between two connected users are routed between them', async () => {
  const frank = await xmppjs(stack.em, { username: 'frank' });
  const grace = await xmppjs(stack.em, { username: 'grace' });
  await frank.raw.start();
  await grace.raw.start();
  await frank.raw.send(frank.xml('message', { to: 'grace@example.com', type: 'chat' }, frank.xml('body', {}, 'hi grace')));
  const got = await grace.stanza((s) => bodyOf(s) === 'hi grace');
  assert.match(got.attrs.from, /^frank@example\.com\//);
  // Nobody is connected as nobody@example.com: a chat to it comes back as an error.
  await frank.raw.send(frank.xml('message', { to: 'nobody@example.com', type: 'chat', id: 'n1' }, frank.xml('body', {}, 'anyone?')));
  const err = await frank.stanza((s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === 'n1');
  assert.ok(err.getChild('error').getChild('service-unavailable'));
  await Promise.all([frank.raw.stop(), grace.raw.stop()]);
});

test('a client ping is answered; an iq the emulator does not serve gets service-unavailable', async () => {
  const heidi = await xmppjs(stack.em, { username: 'heidi' });
  await heidi.raw.start();
  const { iqCaller, xml } = { iqCaller: heidi.raw.iqCaller, xml: heidi.xml };
  await iqCaller.request(xml('iq', { type: 'get' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
  await assert.rejects(
    iqCaller.request(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:version' }))),
    (e: any) => e.condition === 'service-unavailable',
  );
  await heidi.raw.stop();
});

test("stanza: signs in, reads a roster holding the app, and gets the bot's /echo reply", async () => {
  const client = createClient({
    jid: 'ivan@example.com',
    password: 'any',
    resource: 'stanza',
    transports: { websocket: stack.em.xmppWebsocket!, bosh: false },
  });
  const started = new Promise((resolve) => client.once('session:started', resolve));
  client.connect();
  await started;
  const roster = await client.getRoster();
  assert.deepEqual(
    roster.items.map((i) => i.jid),
    [APP],
  );
  const echoed = new Promise<string>((resolve) => client.on('chat', (m) => m.body === 'from stanza' && resolve(m.from)));
  client.sendMessage({ to: APP, type: 'chat', body: '/echo from stanza' });
  assert.equal(await echoed, `${APP}/bot`);
  const ended = new Promise<void>((resolve) => client.once('session:end', () => resolve()));
  const gone = nextEvent(stack.em, (e) => e.type === 'xmpp.session' && e.state === 'disconnected' && e.jid.startsWith('ivan@'));
  client.disconnect();
  await Promise.all([ended, gone]);
});

test('with a users file, a wrong password is refused (SASL not-authorized) and the right one signs in', async () => {
  const users = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'xmpp-emu-users-')), 'users.json');
  fs.writeFileSync(users, JSON.stringify({ 'judy@example.com': 'secret' }));
  const guarded = await startStack({ xmppUsers: users });
  try {
    const wrong = await xmppjs(guarded.em, { username: 'judy', password: 'nope' });
    await assert.rejects(wrong.raw.start(), (e: any) => e.name === 'SASLError' && e.condition === 'not-authorized');
    await wrong.raw.stop().catch(() => undefined);
    const right = await xmppjs(guarded.em, { username: 'judy', password: 'secret' });
    assert.equal((await right.raw.start()).toString().split('/')[0], 'judy@example.com');
    await right.raw.stop();
  } finally {
    await guarded.close();
  }
});

test('XEP-0156: host-meta names the WebSocket endpoint', async () => {
  const res = await fetch(`${stack.em.url}/.well-known/host-meta.json`);
  const json = (await res.json()) as { links: Array<{ rel: string; href: string }> };
  assert.deepEqual(json.links, [{ rel: 'urn:xmpp:alt-connections:websocket', href: stack.em.xmppWebsocket }]);
  const xrd = await (await fetch(`${stack.em.url}/.well-known/host-meta`)).text();
  assert.ok(xrd.includes(`href="${stack.em.xmppWebsocket}"`));
  const ns = stack.em.namespace('discovered');
  const inNs = (await (await fetch(`${ns.url}/.well-known/host-meta.json`)).json()) as typeof json;
  assert.equal(inNs.links[0]!.href, ns.xmppWebsocket, "a namespace's discovery names its own endpoint");
});

test("the app receives the client's own stanza (sender stamped, extensions kept), as production posted it", async () => {
  const { app, em, close } = await startEmulatorWithApp({ stateDir: stack.stateDir });
  try {
    const kate = await xmppjs(em, { username: 'kate', resource: 'web' });
    await kate.raw.start();
    const posted = app.next();
    await kate.raw.send(
      kate.xml('message', { to: APP, type: 'chat', id: 'k1' }, kate.xml('body', {}, 'hi & bye'), kate.xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: 'o1' })),
    );
    const m = await posted;
    assert.equal(m.path, '/_ah/xmpp/message/chat/');
    assert.deepEqual([m.fields.from, m.fields.to, m.fields.body], ['kate@example.com/web', APP, 'hi & bye']);
    assert.equal(
      m.fields.stanza,
      `<message xmlns="jabber:client" to="${APP}" type="chat" id="k1" from="kate@example.com/web"><body>hi &amp; bye</body><origin-id xmlns="urn:xmpp:sid:0" id="o1"/></message>`,
    );
    const presence = app.next();
    await kate.raw.send(kate.xml('presence', {}, kate.xml('show', {}, 'away'), kate.xml('priority', {}, '3')));
    const p = await presence;
    assert.equal(p.path, '/_ah/xmpp/presence/available/');
    assert.deepEqual([p.fields.from, p.fields.show], ['kate@example.com/web', 'away']);
    assert.match(
      p.fields.stanza!,
      /^<presence xmlns="jabber:client" from="kate@example\.com\/web" to="dev-app@appspot\.com"><show>away<\/show><priority>3<\/priority><\/presence>$/,
    );
    await kate.raw.stop();
  } finally {
    await close();
  }
});

test("/ns/NAME/xmpp-websocket: the same JID in two namespaces is two users; each gets only its own namespace's traffic", async () => {
  const inNs = await xmppjs(stack.em, { username: 'dana', resource: 'ns', namespace: 'ws-team' });
  const inDefault = await xmppjs(stack.em, { username: 'dana', resource: 'default' });
  await inNs.raw.start();
  await inDefault.raw.start();
  const ns = stack.em.namespace('ws-team');
  await inNs.raw.send(inNs.xml('message', { to: APP, type: 'chat' }, inNs.xml('body', {}, 'hello')));
  const reply = await inNs.stanza((s) => s.is('message') && bodyOf(s) === 'Greetings!');
  assert.equal(reply.attrs.to, 'dana@example.com/ns');
  assert.deepEqual(
    (await ns.outbox({ to: 'dana@example.com' })).map((e) => e.body),
    ['Greetings!'],
  );
  assert.deepEqual(await stack.em.outbox({ to: 'dana@example.com' }), []);
  await serviceCall(stack.em, 'send_message', { jids: 'dana@example.com', body: 'to the default one' });
  await serviceCall(stack.em, 'send_message', { jids: 'dana@example.com', body: 'to the namespace one' }, 'ws-team');
  assert.ok(await inDefault.stanza((s) => s.is('message') && bodyOf(s) === 'to the default one'));
  assert.ok(await inNs.stanza((s) => s.is('message') && bodyOf(s) === 'to the namespace one'));
  assert.deepEqual(inNs.seen.filter((s) => s.is('message')).map(bodyOf), ['Greetings!', 'to the namespace one']);
  assert.deepEqual(inDefault.seen.filter((s) => s.is('message')).map(bodyOf), ['to the default one']);
  assert.deepEqual(
    (await ns.listPresence()).connected?.map((c) => c.jid),
    ['dana@example.com/ns'],
  );
  await inNs.raw.stop();
  await inDefault.raw.stop();
  const refused = new WebSocket(`${stack.em.url.replace('http', 'ws')}/ns/bad%20name/xmpp-websocket`, 'xmpp');
  const status = await new Promise<number>((resolve) => refused.once('unexpected-response', (_req, res) => resolve(res.statusCode!)));
  assert.equal(status, 400);
});
