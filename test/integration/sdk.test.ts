import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  INVALID_JID,
  NO_ERROR,
  InvalidJidError,
  NondefaultModuleError,
  InvalidShowError,
  InvalidXmlError,
  NoBodyError,
  InvalidTypeError,
  InvalidStatusError,
  ExceededMaxSizeError,
  getPresence,
  sendInvite,
  sendMessage,
  sendPresence,
  Message,
} from '../../src/client/index.js';
import { startEmulator, type RunningEmulator } from '../../src/index.js';
import { closedPort } from '../helpers.js';

let em: RunningEmulator;
let host: string;
before(async () => {
  em = await startEmulator({ port: 0, appId: 'sdk-app', versions: { beta: 'http://127.0.0.1:1' }, appYaml: null });
  host = em.env.XMPP_EMULATOR_HOST;
});
after(() => em.close());

test('sendMessage: one JID in, one status out; a list in, a list out', async () => {
  assert.equal(await sendMessage('alice@example.com', 'hi', { host }), NO_ERROR);
  assert.deepEqual(await sendMessage(['alice@example.com', 'bad'], 'hi all', { host }), [NO_ERROR, INVALID_JID]);
  const e = await em.waitFor({ contains: 'hi all' });
  assert.equal(e.from, 'sdk-app@appspot.com/bot');
});

test('the SDK finds the emulator through XMPP_EMULATOR_HOST and sends GAE_VERSION', async () => {
  process.env.XMPP_EMULATOR_HOST = host;
  process.env.GAE_VERSION = 'beta';
  try {
    await sendMessage('env@example.com', 'via env', { fromJid: 'news@sdk-app.appspotchat.com', messageType: 'headline' });
  } finally {
    delete process.env.XMPP_EMULATOR_HOST;
    delete process.env.GAE_VERSION;
  }
  const e = await em.waitFor({ contains: 'via env' });
  assert.equal(e.from, 'news@beta.latest.sdk-app.appspotchat.com/bot');
  assert.equal(e.type, 'headline');
});

test('each service error arrives as its own error class', async () => {
  await assert.rejects(sendMessage([], 'x', { host }), InvalidJidError);
  await assert.rejects(sendMessage('a@b.c', '', { host }), NoBodyError);
  await assert.rejects(sendMessage('a@b.c', '<a>', { host, rawXml: true }), InvalidXmlError);
  await assert.rejects(sendMessage('a@b.c', 'x', { host, messageType: 'shout' }), InvalidTypeError);
  await assert.rejects(sendMessage('a@b.c', 'x'.repeat(102_401), { host }), ExceededMaxSizeError);
  await assert.rejects(sendPresence('a@b.c', { host, presenceShow: 'zzz' }), InvalidShowError);
  await assert.rejects(sendPresence('a@b.c', { host, status: 's'.repeat(1025) }), InvalidStatusError);
  await assert.rejects(sendInvite('nobody', { host }), (e: Error) => e instanceof InvalidJidError && /not a valid JID/.test(e.message));
});

test('getPresence: boolean, [available, show] with getShow, triples for a list', async () => {
  await em.setPresence('bob@example.com', { available: true, show: 'dnd', subscribed: true });
  await em.setPresence('carl@example.com', { available: false, subscribed: true });
  assert.equal(await getPresence('bob@example.com', { host }), true);
  assert.deepEqual(await getPresence('bob@example.com', { host, getShow: true }), [true, 'dnd']);
  assert.equal(await getPresence('carl@example.com', { host }), false);
  assert.deepEqual(await getPresence(['bob@example.com', 'bad', 'carl@example.com'], { host }), [
    [true, 'dnd', true],
    [false, '', false],
    [false, '', true],
  ]);
  await assert.rejects(getPresence('bad', { host }), InvalidJidError);
});

test('sendInvite and sendPresence are captured', async () => {
  await sendInvite('dora@example.com', { host });
  await sendPresence('dora@example.com', { host, presenceShow: 'chat', status: 'here' });
  assert.equal((await em.waitFor({ kind: 'invite', to: 'dora@example.com' })).from, 'sdk-app@appspot.com/bot');
  const p = await em.waitFor({ kind: 'presence', to: 'dora@example.com' });
  assert.deepEqual([p.show, p.status], ['chat', 'here']);
});

test('Message.reply sends to the sender from the address written to, and returns the status', async () => {
  const m = new Message({ from: 'eve@example.com/laptop', to: 'help@sdk-app.appspotchat.com', body: '/ask why' }, { host });
  assert.equal(await m.reply('because'), NO_ERROR);
  const e = await em.waitFor({ contains: 'because' });
  assert.deepEqual(e.to, ['eve@example.com/laptop']);
  assert.equal(e.from, 'help@sdk-app.appspotchat.com/bot');
});

test('an unreachable emulator is a clear error', async () => {
  const port = await closedPort();
  await assert.rejects(
    sendMessage('a@b.c', 'x', { host: `127.0.0.1:${port}` }),
    new RegExp(`cannot reach the XMPP emulator at http://127\\.0\\.0\\.1:${port}: connect ECONNREFUSED`),
  );
  delete process.env.XMPP_EMULATOR_HOST;
  await assert.rejects(sendMessage('a@b.c', 'x'), /XMPP_EMULATOR_HOST is not set/);
});

test('the SDK names its module from GAE_SERVICE (or { module }): a non-default module is refused, as in production', async () => {
  await assert.rejects(
    sendMessage('a@b.c', 'x', { host, module: 'worker' }),
    (e: Error) => e instanceof NondefaultModuleError && /module "worker"/.test(e.message),
  );
  assert.equal(await sendMessage('a@b.c', 'x', { host, module: 'default' }), NO_ERROR);
});
