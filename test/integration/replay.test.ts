// Record and replay: a session recorded with --record plays back against the sample bot with no difference, and
// against a changed bot shows what it now sends differently (exit 1). The CLI runs as a child process.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startEmulator, type RunningEmulator } from '../../src/index.js';
import { startEchoBot, EchoBot, type RunningBot } from '../../fixtures/echo-bot/bot.js';
import type { ClientOptions, Message } from '../../src/client/index.js';
import { cli, killAll } from '../cli-process.js';
import { tempPath } from '../helpers.js';

const transcript = tempPath('xmpp-emu-replay-', 'session.jsonl');
const client: ClientOptions = {};
let bot: RunningBot;
let em: RunningEmulator;

before(async () => {
  bot = await startEchoBot({ port: 0, client });
  const recording = await startEmulator({ port: 0, appUrl: bot.url, appYaml: null, record: transcript });
  client.host = recording.env.XMPP_EMULATOR_HOST;
  await recording.setPresence('alice@example.com', 'away');
  for (const body of ['hello', '/echo hi there', '/status', 'what?']) await recording.injectMessage({ from: 'alice@example.com', body });
  await recording.injectSubscription({ from: 'bob@example.com', type: 'subscribe' });
  await recording.close();
  em = await startEmulator({ port: 0, appUrl: bot.url, appYaml: null });
  client.host = em.env.XMPP_EMULATOR_HOST;
});
after(async () => {
  killAll();
  await em.close();
  await bot.close();
});

test('replaying the recorded session against the same bot finds no difference', async () => {
  const r = await cli(['replay', transcript, '--emulator', em.env.XMPP_EMULATOR_HOST]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /replay: 5 turns, the app sent the same/);
});

test('replaying it against a changed bot shows the difference and exits 1', async () => {
  class ChangedBot extends EchoBot {
    override async textMessage(m: Message): Promise<void> {
      await m.reply(m.body === 'hello' ? 'Hi there!' : `You said: ${m.body}`);
    }
  }
  const changed = await startEchoBot({ port: 0, client, bot: new ChangedBot(client) });
  const other = await startEmulator({ port: 0, appUrl: changed.url, appYaml: null });
  client.host = other.env.XMPP_EMULATOR_HOST;
  try {
    const r = await cli(['replay', transcript, '--emulator', other.env.XMPP_EMULATOR_HOST]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /turn 1 \(message from alice@example.com: "hello"\):\n- .*"body":"Greetings!".*\n\+ .*"body":"Hi there!"/);
    assert.match(r.stdout, /replay: 5 turns, 1 differs\n/);
    const json = await cli(['replay', transcript, '--emulator', other.env.XMPP_EMULATOR_HOST, '--json']);
    assert.equal(json.code, 1);
    assert.deepEqual(
      JSON.parse(json.stdout).differences.map((d: { index: number }) => d.index),
      [1],
    );
  } finally {
    client.host = em.env.XMPP_EMULATOR_HOST;
    await other.close();
    await changed.close();
  }
});

test('each namespace is replayed into its own; replaying into the emulator that records the same file does not grow it; an unknown namespace is exit 2', async () => {
  const file = tempPath('xmpp-emu-replay-ns-', 'session.jsonl');
  const rec = await startEmulator({ port: 0, appUrl: bot.url, appYaml: null, record: file });
  client.host = rec.env.XMPP_EMULATOR_HOST;
  try {
    const teamA = rec.namespace('team-a');
    await rec.injectMessage({ from: 'alice@example.com', body: '/echo in default' });
    await teamA.injectMessage({ from: 'carol@example.com', body: '/echo in team-a' });
    await teamA.waitFor({ contains: 'in team-a' });
    for (const round of [1, 2]) {
      const r = await cli(['replay', file, '--emulator', rec.env.XMPP_EMULATOR_HOST]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /^replay: 2 turns, the app sent the same$/m, `round ${round}: the replayed deliveries are not turns`);
    }
    // Each turn went to the namespace it was recorded in, and its reply came back there.
    assert.equal((await teamA.outbox({ contains: 'in team-a' })).length, 3);
    assert.deepEqual(await rec.outbox({ contains: 'in team-a' }), []);
    assert.equal((await rec.outbox({ contains: 'in default' })).length, 3);
    const only = await cli(['replay', file, '--emulator', rec.env.XMPP_EMULATOR_HOST, '--namespace', 'team-a']);
    assert.match(only.stdout, /^replay: 1 turn, the app sent the same$/m);
    const nope = await cli(['replay', file, '--emulator', rec.env.XMPP_EMULATOR_HOST, '--namespace', 'nope']);
    assert.equal(nope.code, 2, nope.stdout + nope.stderr);
    assert.match(nope.stderr, /no deliveries in namespace "nope"; it has deliveries in: default, team-a/);
  } finally {
    client.host = em.env.XMPP_EMULATOR_HOST;
    await rec.close();
  }
});

test('a file that is not a transcript is a one-line error (exit 2)', async () => {
  const r = await cli(['replay', '/nonexistent/session.jsonl', '--emulator', em.env.XMPP_EMULATOR_HOST]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^xmpp-emu: .*session\.jsonl/);
});
