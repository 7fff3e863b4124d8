// `npm start`'s demo finds its ports: with the bot's and the emulator's ports busy it takes free ones, says so,
// and the round trip still works (the bot is told where the emulator went).
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cli, killAll, runProcess } from '../cli-process.js';

const DEMO = fileURLToPath(new URL('../../fixtures/echo-bot/demo.js', import.meta.url));
const busy: net.Server[] = [];
after(() => {
  killAll();
  for (const s of busy) s.close();
});

async function occupy(): Promise<number> {
  const s = net.createServer();
  busy.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return (s.address() as net.AddressInfo).port;
}

test('the demo takes free ports when its own are busy, says which, and the bot still answers', async () => {
  const [app, emulator] = [await occupy(), await occupy()];
  const demo = runProcess(process.execPath, [DEMO, '--no-repl'], {
    env: { ...process.env, FORCE_COLOR: '0', PORT: String(app), XMPP_EMU_PORT: String(emulator), XMPP_EMU_XMPP_PORT: '0' },
  });
  const out = await demo.waitFor(/export XMPP_EMULATOR_HOST=\S+\n/);
  assert.match(out, new RegExp(`port ${app} is busy, so the sample bot listens on \\d+ instead`));
  assert.match(out, new RegExp(`port ${emulator} is busy \\(another emulator\\?\\), so this one listens on \\d+`));
  assert.doesNotMatch(demo.stderr(), /Error|at /);
  const host = /export XMPP_EMULATOR_HOST=(\S+)/.exec(out)![1]!;
  const sent = await cli(['send', '--emulator', host, '--from', 'alice@example.com', 'hello']);
  assert.equal(sent.code, 0, sent.stdout + sent.stderr);
  await demo.waitFor(/"Greetings!"/);
  demo.child.kill('SIGINT');
  assert.equal(await demo.exited, 0);
});
