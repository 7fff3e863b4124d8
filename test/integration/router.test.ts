import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import {
  CommandHandler,
  xmppApp,
  type ClientOptions,
  type Message,
  type PresenceNotification,
  type SubscriptionNotification,
  type ErrorNotification,
} from '../../src/client/index.js';
import { startEmulator, type RunningEmulator } from '../../src/index.js';

class Bot extends CommandHandler {
  async pingCommand(m: Message) {
    await m.reply(`pong ${m.arg}`.trim());
  }
  async boomCommand() {
    throw new Error('kaboom');
  }
  override async textMessage(m: Message) {
    await m.reply(`text: ${m.body}`);
  }
}

let em: RunningEmulator;
let server: ReturnType<ReturnType<typeof xmppApp>['listen']>;
const events: Array<PresenceNotification | SubscriptionNotification | ErrorNotification> = [];
before(async () => {
  // The bot is started first, so where it replies is filled in once the emulator knows its port.
  const client: ClientOptions = {};
  const app = xmppApp({
    message: new Bot(),
    client,
    presence: (p) => void events.push(p),
    subscription: (s) => void events.push(s),
    error: (e) => void events.push(e),
  });
  await new Promise<void>((resolve) => (server = app.listen(0, '127.0.0.1', () => resolve())));
  em = await startEmulator({ port: 0, appYaml: null, appUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  client.host = em.env.XMPP_EMULATOR_HOST;
});
after(async () => {
  await em.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

async function say(body: string): Promise<string> {
  const since = await em.lastOutboxId();
  await em.injectMessage({ from: 'kim@example.com', body });
  return (await em.waitFor({ to: 'kim@example.com', since, timeoutMs: 3000 })).body!;
}

test('the command handler: /foo → fooCommand, unknown → "Unknown command", plain text → textMessage', async () => {
  assert.equal(await say('/ping  a b '), 'pong a b');
  assert.equal(await say('\\ping back'), 'pong back');
  assert.equal(await say('/nosuch thing'), 'Unknown command');
  assert.equal(await say('/constructor'), 'Unknown command');
  assert.equal(await say('just chatting'), 'text: just chatting');
  assert.equal(await say('/'), 'text: /', 'a bare slash is plain text, as in the original');
});

test('a handler that throws: the sender is told "Oops. Something went wrong." and the app answers 500', async () => {
  const since = await em.lastOutboxId();
  const r = await em.injectMessage({ from: 'kim@example.com', body: '/boom' });
  assert.equal(r.status, 500);
  assert.equal((await em.waitFor({ to: 'kim@example.com', since })).body, 'Oops. Something went wrong.');
});

test('presence, subscription and error notifications reach their handlers with their fields', async () => {
  events.length = 0;
  await em.injectPresence({ from: 'kim@example.com/x', type: 'available', show: 'chat', status: 'hi' });
  await em.injectSubscription({ from: 'kim@example.com', type: 'subscribed' });
  await em.injectError({ from: 'kim@example.com' });
  assert.equal(events.length, 3);
  const [p, s, e] = events as [PresenceNotification, SubscriptionNotification, ErrorNotification];
  assert.deepEqual([p.type, p.from, p.show, p.status], ['available', 'kim@example.com/x', 'chat', 'hi']);
  assert.match(p.stanza, /<presence /);
  assert.deepEqual([s.type, s.from, s.to], ['subscribed', 'kim@example.com', 'dev-app@appspot.com']);
  assert.match(e.stanza, /type="error"/);
});

test('a POST missing a field is a 400 from the router, not a crash', async () => {
  const port = (server.address() as AddressInfo).port;
  const form = new FormData();
  form.append('from', 'a@b.c');
  const res = await fetch(`http://127.0.0.1:${port}/_ah/xmpp/message/chat/`, { method: 'POST', body: form });
  assert.equal(res.status, 400);
  assert.match(await res.text(), /no "to" field/);
});

test("Message.reply() sends the delivery's ticket back: the reply names the message it answers", async () => {
  const since = await em.lastOutboxId();
  const d = await em.injectMessage({ from: 'kim@example.com/desktop', body: '/ping linked' });
  const reply = await em.waitFor({ to: 'kim@example.com', since, timeoutMs: 3000 });
  assert.deepEqual([reply.body, reply.in_reply_to, reply.protocol], ['pong linked', d.id, 'json']);
});
