// The README's "CI integration test" example, verbatim: if this fails, the README is wrong.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import express from 'express';
import { startEmulator, type RunningEmulator } from 'xmpp-emu';
import { CommandHandler, xmppRouter, type Message } from 'xmpp-emu/client';

// The app under test: a tiny weather bot.
class WeatherBot extends CommandHandler {
  async weatherCommand(m: Message) {
    await m.reply(`Sunny in ${m.arg || 'your town'}`);
  }
  override async textMessage(m: Message) {
    await m.reply('Try /weather CITY');
  }
}

let emulator: RunningEmulator;
let server: ReturnType<express.Express['listen']>;

before(async () => {
  const app = express().use(xmppRouter({ message: new WeatherBot() }));
  server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  emulator = await startEmulator({ port: 0, appUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  process.env.XMPP_EMULATOR_HOST = emulator.env.XMPP_EMULATOR_HOST; // where the bot's replies go
});

after(async () => {
  await emulator.close();
  server.close();
});

test('the bot answers /weather', async () => {
  const since = await emulator.lastOutboxId();
  const delivery = await emulator.injectMessage({ from: 'alice@example.com', body: '/weather Paris' });
  assert.equal(delivery.status, 200);
  const reply = await emulator.waitFor({ to: 'alice@example.com', since, timeoutMs: 2000 });
  assert.equal(reply.body, 'Sunny in Paris');
});

test('the bot nudges plain text towards the command', async () => {
  const since = await emulator.lastOutboxId();
  await emulator.injectMessage({ from: 'bob@example.com', body: 'hi' });
  assert.equal((await emulator.waitFor({ to: 'bob@example.com', since })).body, 'Try /weather CITY');
});
