// What a newcomer meets first on the command line: one error style with exit code 2 for mistakes, --version, the
// config file for client commands, `send` printing the app's replies, and `messages --follow` filtering live events.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import express from 'express';
import multer from 'multer';
import { startEmulator, type RunningEmulator } from '../../src/core/start.js';
import { cli, killAll, runCli } from '../cli-process.js';
import { postJson } from '../helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xmpp-emu-newcomer-'));
let em: RunningEmulator;
let app: Server;
let host: string;
const { version } = JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

before(async () => {
  // An app that answers each message with "pong: BODY", sending back the ticket of the delivery it handles.
  const web = express().post('/_ah/xmpp/message/chat/', multer().none(), async (req, res) => {
    const text = (req.body as { body: string }).body;
    await postJson(
      `http://${host}`,
      '/v1/xmpp/send_message',
      { jids: 'alice@example.com', body: `pong: ${text}` },
      { 'X-AppEngine-API-Ticket': String(req.headers['x-appengine-api-ticket']) },
    );
    res.end();
  });
  app = web.listen(0, '127.0.0.1');
  await new Promise((r) => app.once('listening', r));
  em = await startEmulator({ port: 0, appUrl: `http://127.0.0.1:${(app.address() as AddressInfo).port}`, appYaml: null, appId: 'cli-app' });
  host = em.env.XMPP_EMULATOR_HOST;
});
after(async () => {
  killAll();
  await em.close();
  app.closeAllConnections();
  app.close();
});

/** A mistake: exit 2 and exactly one line on stderr, in the CLI's own style. */
function assertMistake(r: { code: number | null; stderr: string }, pattern: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  assert.match(r.stderr, /^xmpp-emu: /);
  assert.match(r.stderr, pattern);
}

test('user mistakes exit 2 with one line: empty body, a mistyped --to (did you mean), a missing presence file, commander errors', async () => {
  assertMistake(await cli(['send', '--emulator', host, '--from', 'alice@example.com', '']), /the message body is empty/);
  assertMistake(
    await cli(['send', '--emulator', host, '--from', 'alice@example.com', '--to', 'cli-ap@appspot.com', 'hi']),
    /did you mean cli-app@appspot\.com\?/,
  );
  assertMistake(await cli(['start', '--port', '0', '--presence', path.join(tmp, 'no-such-presence.json')]), /no-such-presence\.json/);
  assertMistake(await cli(['send', '--emulator', host, 'hi']), /--from/);
  assertMistake(
    await cli(['presence', 'set', '--emulator', host, 'a@example.com', 'away', '--subscribed', '--unsubscribed']),
    /subscribed.*unsubscribed|unsubscribed.*subscribed/,
  );
  assertMistake(await cli(['rewind', '--help']), /unknown command 'rewind'/);
  assertMistake(await cli(['strat']), /did you mean start\?/);
  assertMistake(await cli(['env', '--port', '0'], { XMPP_EMULATOR_HOST: undefined }), /port 0/);
});

test('--version prints the version; -V too', async () => {
  for (const flag of ['--version', '-V']) {
    const r = await cli([flag]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), version);
  }
});

test('client commands find the emulator from xmpp-emu.config.json in the working folder', async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'config-'));
  fs.writeFileSync(path.join(dir, 'xmpp-emu.config.json'), JSON.stringify({ port: em.port }));
  await em.setPresence('configured@example.com', 'dnd');
  const r = await runCliIn(dir, ['presence', 'list']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /configured@example\.com: available \(dnd\)/);
});

async function runCliIn(cwd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const c = runCli(args, { XMPP_EMULATOR_HOST: undefined }, cwd);
  c.child.stdin.end();
  const code = await c.exited;
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

test("send prints the app's replies indented under the delivery; --json carries them", async () => {
  const r = await cli(['send', '--emulator', host, '--from', 'alice@example.com', 'ping']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0]!, /user → app  message\s+alice@example\.com → cli-app@appspot\.com  200 .* "ping"$/);
  assert.match(lines[1]!, /↳ app → user .* "pong: ping"$/);
  const j = await cli(['send', '--json', '--emulator', host, '--from', 'alice@example.com', 'again']);
  assert.deepEqual(
    JSON.parse(j.stdout).replies.map((e: { body: string }) => e.body),
    ['pong: again'],
  );
});

test('messages --follow: the filter applies live too, backlog and live lines share one JSON shape, Ctrl-C ends quietly', async () => {
  await postJson(em.url, '/v1/xmpp/send_message', { jids: 'carol@example.com', body: 'before' });
  const f = runCli(['messages', '--follow', '--json', '--emulator', host, '--to', 'carol@example.com']);
  await f.waitFor(/following live events/, 'stderr');
  await postJson(em.url, '/v1/xmpp/send_message', { jids: 'dave@example.com', body: 'not for carol' });
  await postJson(em.url, '/v1/xmpp/send_message', { jids: 'carol@example.com', body: 'live' });
  await f.waitFor(/"live"/);
  f.child.kill('SIGINT');
  assert.equal(await f.exited, 0);
  const lines = f
    .stdout()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.map((l) => l.entry.body).filter((b) => b === 'before' || b === 'live' || b === 'not for carol'),
    ['before', 'live'],
  );
  assert.deepEqual(
    lines.map((l) => Object.keys(l).sort().join()),
    lines.map(() => 'entry,seq,time,type'),
    'one shape for backlog and live',
  );
  assert.equal(f.stderr().trim().split('\n').length, 1, `only the "following" line on stderr: ${f.stderr()}`);
});

test("the banner names the default get_presence answers: the presence file's, over --default-presence", async () => {
  const file = path.join(tmp, 'presence-default.json');
  fs.writeFileSync(file, JSON.stringify({ default: 'dnd' }));
  const c = runCli(['start', '--no-repl', '--port', '0', '--default-presence', 'away', '--presence', file]);
  const out = await c.waitFor(/export XMPP_EMULATOR_HOST/);
  assert.match(out, /presence\s+dnd by default/);
  c.child.kill('SIGINT');
  assert.equal(await c.exited, 0);
});
