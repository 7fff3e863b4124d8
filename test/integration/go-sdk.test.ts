// The real Go App Engine SDK (Debian's golang-google-appengine-dev) against the emulator's API server: a bot that
// uses only the SDK's public API, built in GOPATH mode (no module proxy), driven through the emulator.
// In CI (CI=true) it must run; elsewhere it skips, saying how to enable it.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startEmulator, type EmulatorEvent, type RunningEmulator } from '../../src/index.js';
import { cli } from '../cli-process.js';
import { closedPort } from '../helpers.js';

const GOCODE = '/usr/share/gocode';
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BOT = path.join(ROOT, 'fixtures/go-bot/main.go');

function missing(): string | null {
  if (!fs.existsSync(path.join(GOCODE, 'src/google.golang.org/appengine/xmpp'))) return `${GOCODE} has no App Engine Go SDK`;
  const probe = process.env.PATH?.split(path.delimiter).some((d) => fs.existsSync(path.join(d, 'go')));
  return probe ? null : 'no `go` on PATH';
}
const why = missing();
if (why && process.env.CI === 'true')
  throw new Error(`the Go SDK test must run in CI, but ${why} (.ci/run installs golang-go and golang-google-appengine-dev)`);
const skip = why ? `${why}; install them with: apt-get install golang-go golang-google-appengine-dev (CI=true makes this test required)` : false;

let em: RunningEmulator;
let bot: ChildProcess | undefined;
let work: string;

before(async () => {
  if (skip) return;
  // One build per run, into a temp GOPATH with its own GOCACHE: nothing outside the temp dir is written.
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'xmpp-emu-go-'));
  const pkg = path.join(work, 'src/gobot');
  fs.mkdirSync(pkg, { recursive: true });
  fs.copyFileSync(BOT, path.join(pkg, 'main.go'));
  const goEnv = {
    ...process.env,
    GO111MODULE: 'off',
    GOPATH: `${work}${path.delimiter}${GOCODE}`,
    GOPROXY: 'off',
    GOFLAGS: '',
    GOCACHE: path.join(work, 'cache'),
  };
  await promisify(execFile)('go', ['build', '-o', path.join(work, 'bot'), '.'], { cwd: pkg, env: goEnv });

  const botPort = await closedPort();
  em = await startEmulator({ port: 0, appId: 'go-app', appUrl: `http://127.0.0.1:${botPort}`, appYaml: null });
  // The environment the SDK reads: where appengine.Main() listens, where the API server is; dev mode binds 127.0.0.1.
  bot = spawn(path.join(work, 'bot'), [], {
    env: { PATH: process.env.PATH, PORT: String(botPort), API_HOST: em.env.API_HOST, API_PORT: em.env.API_PORT, RUN_WITH_DEVAPPSERVER: '1' },
    stdio: 'inherit',
  });
  // Ready when its health check answers (connection refused until it listens).
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${botPort}/_ah/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (bot.exitCode !== null) throw new Error(`the Go bot exited with ${bot.exitCode}`);
    await new Promise((r) => setImmediate(r));
  }
});

after(async () => {
  bot?.kill('SIGKILL');
  await em?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** Inject `body` from alice and return the bot's reply to her: the message the SDK sent for that delivery. */
async function ask(body: string): Promise<string> {
  const d = await em.injectMessage({ from: 'alice@example.com/desktop', to: 'go-app@appspot.com', body });
  assert.equal(d.status, 200, d.reason);
  const reply = await em.waitFor({ in_reply_to: d.id, to: 'alice@example.com/desktop', kind: 'message' });
  assert.equal(reply.in_reply_to, d.id, 'the reply names the delivery that caused it');
  assert.equal(reply.protocol, 'rpc_http');
  assert.equal(reply.from, 'go-app@appspot.com/bot');
  return reply.body!;
}

test('inject "hello": the Go bot replies through the API server, and the reply is linked to the delivery', { skip }, async () => {
  assert.equal(await ask('hello'), 'Hello, alice@example.com/desktop!');
});

test("xmpp-emu send prints the Go bot's reply under the delivery; --json lists it with the delivery id", { skip }, async () => {
  const r = await cli(['send', '--emulator', em.env.XMPP_EMULATOR_HOST, '--from', 'carol@example.com/phone', '--wait', '0', 'hello']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0]!, /carol@example\.com\/phone → go-app@appspot\.com  200/);
  assert.match(lines[1]!, /↳ app → user .* "Hello, carol@example\.com\/phone!"$/);
  const j = await cli(['send', '--json', '--emulator', em.env.XMPP_EMULATOR_HOST, '--from', 'carol@example.com/phone', '--wait', '0', 'hello']);
  const result = JSON.parse(j.stdout) as { id: string; replies: Array<{ body: string; in_reply_to: string; protocol: string }> };
  assert.deepEqual(
    result.replies.map((e) => [e.body, e.in_reply_to, e.protocol]),
    [['Hello, carol@example.com/phone!', result.id, 'rpc_http']],
  );
});

test('a multi-recipient send with an invalid JID gives the SDK a MultiError; the valid recipient is still sent to', { skip }, async () => {
  const since = await em.lastOutboxId();
  assert.equal(await ask('tell bob@example.com not-a-jid'), 'tell: appengine.MultiError INVALID_JID');
  const sent = (await em.outbox({ since, kind: 'message' })).find((e) => e.body === 'news from alice@example.com/desktop')!;
  assert.deepEqual(
    [sent.to, sent.statuses],
    [
      ['bob@example.com', 'not-a-jid'],
      [0, 1],
    ],
  );
});

test('an invalid call gives the SDK its error for that code (INVALID_SHOW = 6), and a rejected event', { skip }, async () => {
  const rejected = new Promise<EmulatorEvent>((resolve) => {
    const off = em.onEvent((e) => e.type === 'rejected' && (off(), resolve(e)));
  });
  assert.match(await ask('show busy'), /^show: \*internal\.APIError API error 6 \(xmpp: INVALID_SHOW\): presence_show "busy"/);
  assert.deepEqual((({ call, protocol, code }) => ({ call, protocol, code }))((await rejected) as Extract<EmulatorEvent, { type: 'rejected' }>), {
    call: 'xmpp.SendPresence',
    protocol: 'rpc_http',
    code: 'INVALID_SHOW',
  });
  assert.equal(await ask('show away'), 'show: <nil> <nil>');
});

test('presence answers follow the emulator state (GetPresence and GetPresenceMulti)', { skip }, async () => {
  await em.setPresence('carol@example.com', { available: true, show: 'away', subscribed: true });
  assert.equal(await ask('presence carol@example.com'), 'presence carol@example.com: "away" <nil>');
  await em.setPresence('carol@example.com', { available: false, subscribed: true });
  assert.equal(await ask('presence carol@example.com'), 'presence carol@example.com: "" xmpp: presence unavailable');
  await em.setPresence('dave@example.com', { available: true, show: 'dnd', subscribed: true });
  // One MultiError: nil for dave, ErrInvalidJID for the bad JID, ErrPresenceUnavailable for carol.
  assert.equal(await ask('presences dave@example.com not-a-jid carol@example.com'), 'presences: ["dnd" "" ""] xmpp: invalid JID (and 1 other error)');
});

test('Invite reaches the outbox as an invitation from the app', { skip }, async () => {
  const since = await em.lastOutboxId();
  assert.equal(await ask('invite dora@example.com'), 'invite: <nil>');
  const invite = await em.waitFor({ kind: 'invite', since });
  assert.deepEqual([invite.to, invite.protocol], [['dora@example.com'], 'rpc_http']);
});

test("the README's Go example is this bot, verbatim", () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const block = readme.slice(readme.indexOf('## Run an unchanged App Engine app')).match(/```go\n([\s\S]*?)```/)![1];
  assert.equal(block, fs.readFileSync(BOT, 'utf8'));
});
