import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startEchoBot, type RunningBot } from '../../fixtures/echo-bot/bot.js';
import { startEmulator, type RunningEmulator } from '../../src/index.js';
import { cli, killAll, runCli } from '../cli-process.js';
import { closedPort, getJson, postJson } from '../helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xmpp-emu-cli-'));
const FIXTURES = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../fixtures');

let em: RunningEmulator;
let bot: RunningBot;
let host: string;
before(async () => {
  const client = { host: '' };
  bot = await startEchoBot({ port: 0, client });
  em = await startEmulator({ port: 0, appUrl: bot.url, appYaml: null });
  host = em.env.XMPP_EMULATOR_HOST;
  client.host = host;
});
after(async () => {
  killAll();
  await em.close();
  await bot.close();
});

test('start --json: the first line is the ready event; SIGTERM exits 0 with every answered call in the transcript', async () => {
  const record = path.join(tmp, 'transcript.jsonl');
  const c = runCli(['start', '--json', '--port', '0', '--no-repl', '--record', record, '--app-url', bot.url, '--app-id', 'cli-app']);
  const first = (await c.waitFor(/\n/)).split('\n')[0]!;
  const ready = JSON.parse(first);
  assert.equal(ready.event, 'ready');
  assert.match(ready.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.deepEqual(ready.addresses.slice(0, 2), ['cli-app@appspot.com', 'ANYTHING@cli-app.appspotchat.com']);
  assert.equal((await getJson(ready.url, '/healthz')).status, 200);
  const ok: string[] = [];
  for (let i = 0; i < 20; i++) {
    const r = await postJson(ready.url, '/v1/xmpp/send_message', { jids: 'rec@example.com', body: `burst ${i}` });
    if (r.status === 200) ok.push(`burst ${i}`);
  }
  await c.waitFor(/burst 19/);
  c.child.kill('SIGTERM');
  assert.equal(await c.exited, 0);
  const events = fs
    .readFileSync(record, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const recorded = events.filter((e) => e.type === 'sent').map((e) => e.entry.body);
  assert.deepEqual(recorded, ok);
  // --json prints each event as one JSON line after the ready line.
  const lines = c
    .stdout()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.filter((l) => l.type === 'sent').length, 20);
});

test('start in human mode prints the banner with the export line and says no app.yaml means everything is enabled', async () => {
  const c = runCli(['start', '--port', '0', '--no-repl'], { XMPP_EMU_APP_ID: 'env-app' });
  const out = await c.waitFor(/export API_HOST=127\.0\.0\.1 API_PORT=\d+/);
  const port = out.match(/export XMPP_EMULATOR_HOST=127\.0\.0\.1:(\d+)/)![1];
  assert.match(out, new RegExp(`export API_HOST=127\\.0\\.0\\.1 API_PORT=${port}\\b`));
  assert.match(out, /app id\s+env-app/);
  assert.match(out, /all services enabled \(no app\.yaml\)/);
  c.child.kill('SIGINT');
  assert.equal(await c.exited, 0);
});

test('configuration precedence: flag > env > config file > default; bad values are one-line errors', async () => {
  const config = path.join(tmp, 'xmpp-emu.config.json');
  fs.writeFileSync(config, JSON.stringify({ appId: 'file-app', defaultPresence: 'away', lenientPresence: true, port: 0 }));
  const c = runCli(['start', '--json', '--no-repl', '--config', config, '--app-id', 'flag-app'], { XMPP_EMU_APP_ID: 'env-app' });
  const ready = JSON.parse((await c.waitFor(/\n/)).split('\n')[0]!);
  assert.equal(ready.app_id, 'flag-app');
  assert.equal(ready.api_host, '127.0.0.1');
  assert.equal(ready.api_port, ready.port);
  const p = await postJson(ready.url, '/v1/xmpp/get_presence', { jid: 'x@example.com', from_jid: 'flag-app@appspot.com' });
  assert.equal(p.body.presence[0].show, 'away', 'from the config file');
  c.child.kill('SIGTERM');
  await c.exited;

  for (const [args, why] of [
    [['start', '--port', 'eighty'], /--port must be a port number/],
    [['start', '--port', '0', '--app-url', 'localhost:8080'], /app URL "localhost:8080" must start with http:\/\/ or https:\/\//],
    [['start', '--config', path.join(tmp, 'nope.json')], /config file .* does not exist/],
    [['start', '--port', '0', '--version', 'v2'], /--version expects NAME=URL/],
    [['start', '--port', '0', '--default-presence', 'sleepy'], /Allowed choices are available/],
  ] as Array<[string[], RegExp]>) {
    const r = await cli(args);
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.stderr, why, args.join(' '));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('send: exit 0 when the app answered 2xx, non-zero otherwise, with status, path and time', async () => {
  let r = await cli(['send', '--emulator', host, '--from', 'alice@example.com', 'hello']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /user → app  message\s+alice@example\.com → dev-app@appspot\.com  200 \d+(\.\d+)? ms  "hello"/);
  r = await cli(['send', '--from', 'alice@example.com', '--json', '/fail'], { XMPP_EMULATOR_HOST: host });
  assert.equal(r.code, 1);
  const result = JSON.parse(r.stdout);
  assert.deepEqual([result.delivered, result.status, result.path], [false, 500, '/_ah/xmpp/message/chat/']);
  r = await cli(['send', '--emulator', host, '--from', 'alice@example.com', '--type', 'groupchat', 'hi']);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /not delivered.*type "groupchat"/s);
  r = await cli(['send', '--emulator', host, '--from', 'not a jid', 'hi']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^xmpp-emu: from "not a jid" is not a valid JID/);
  const port = await closedPort();
  r = await cli(['send', '--emulator', `127.0.0.1:${port}`, '--from', 'alice@example.com', 'hi']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`cannot reach the emulator at http://127\\.0\\.0\\.1:${port} \\(connection refused`));
});

test('presence set / list', async () => {
  let r = await cli(['presence', 'set', '--emulator', host, 'zed@example.com', 'away', '--status', 'gone fishing', '--subscribed']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /zed@example.com: available \(away\) "gone fishing" \[subscribed\]/);
  r = await cli(['presence', 'list', '--emulator', host]);
  assert.match(r.stdout, /zed@example.com: available \(away\)/);
  r = await cli(['presence', 'set', '--emulator', host, 'zed@example.com', 'snoozing']);
  assert.equal(r.code, 2);
});

test('messages lists the outbox; --follow streams new events live', async () => {
  await postJson(em.url, '/v1/xmpp/send_message', { jids: 'list@example.com', body: 'already there' });
  const r = await cli(['messages', '--emulator', host, '--to', 'list@example.com']);
  assert.match(r.stdout, /app → user  message\s+dev-app@appspot\.com\/bot → list@example\.com  sent  "already there"/);
  const f = runCli(['messages', '--follow', '--json', '--emulator', host, '--to', 'live@example.com']);
  await f.waitFor(/following live events/, 'stderr');
  await postJson(em.url, '/v1/xmpp/send_message', { jids: 'live@example.com', body: 'live one' });
  const out = await f.waitFor(/live one/);
  assert.equal(JSON.parse(out.trim().split('\n').at(-1)!).entry.body, 'live one');
  f.child.kill('SIGINT');
  assert.equal(await f.exited, 0);
});

test('env prints the export lines: the JSON API, and API_HOST/API_PORT for unchanged App Engine apps', async () => {
  assert.equal((await cli(['env', '--port', '9999'])).stdout, 'export XMPP_EMULATOR_HOST=127.0.0.1:9999\nexport API_HOST=127.0.0.1\nexport API_PORT=9999\n');
  assert.equal(
    (await cli(['env'], { XMPP_EMULATOR_HOST: 'example:1' })).stdout,
    'export XMPP_EMULATOR_HOST=example:1\nexport API_HOST=example\nexport API_PORT=1\n',
  );
});

test('exec runs CMD against a fresh emulator on a free port and exits with its code', async () => {
  const script = `if (process.env.XMPP_EMULATOR_HOST !== process.env.API_HOST + ':' + process.env.API_PORT) process.exit(3); fetch('http://' + process.env.XMPP_EMULATOR_HOST + '/v1/xmpp/send_message', {method:'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify({jids:'x@y.z', body:'from exec'})}).then(r => r.json()).then(j => { console.log(JSON.stringify(j)); process.exit(j.statuses[0] === 0 ? 7 : 1); })`;
  const r = await cli(['exec', '--port', '0', '--', process.execPath, '-e', script]);
  assert.equal(r.code, 7, r.stderr);
  assert.match(r.stdout, /\{"statuses":\[0\]\}/);
  assert.match(r.stderr, /app → user  message .* "from exec"/, 'events go to stderr, one line each');
  assert.equal((await cli(['exec', '--port', '0', '--quiet', '--', process.execPath, '-e', 'process.exit(0)'])).code, 0);
  const missing = await cli(['exec', '--port', '0', '--', 'definitely-not-a-command-xyz']);
  assert.equal(missing.code, 127);
  assert.match(missing.stderr, /command not found/);
});

test('run plays conversation files: the shipped examples pass against the sample bot; a wrong expectation fails', async () => {
  const good = await cli([
    'run',
    '--emulator',
    host,
    path.join(FIXTURES, 'conversations/greeting.json'),
    path.join(FIXTURES, 'conversations/presence-and-invites.json'),
  ]);
  assert.equal(good.code, 0, good.stdout + good.stderr);
  assert.match(good.stdout, /conversations: 2 passed, 0 failed/);
  // The bad day changes the clock and adds faults: in a namespace of its own, where the bot's replies follow it.
  const badDay = await cli(['run', '--emulator', `${host}/ns/bad-day`, path.join(FIXTURES, 'conversations/bad-day.json')]);
  assert.equal(badDay.code, 0, badDay.stdout + badDay.stderr);
  assert.match(badDay.stdout, /send "lost in the network" .*\(not to be delivered\)\n.*fault f1: dropped/);
  assert.match(badDay.stdout, /expect in order: .*\n.*got "Greetings!", then "Greetings!"/);
  const bad = path.join(tmp, 'bad.json');
  fs.writeFileSync(
    bad,
    JSON.stringify({ from: 'alice@example.com', steps: [{ send: 'hello' }, { expect: { body: 'Howdy!', timeout_ms: 300 } }, { send: 'never sent' }] }),
  );
  const r = await cli(['run', '--emulator', host, bad]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /✓ 1\. send "hello"/);
  assert.match(
    r.stdout,
    /✗ 2\. expect message to alice@example.com with body "Howdy!".*\n.*nothing matched within 300 ms; the app sent instead: .*"Greetings!"/,
  );
  assert.match(r.stdout, /- 3\. send "never sent"/);
  const broken = path.join(tmp, 'broken.json');
  fs.writeFileSync(broken, '{"steps": [{"shout": "x"}]}');
  const b = await cli(['run', '--emulator', host, broken, path.join(tmp, 'missing.json')]);
  assert.equal(b.code, 1);
  assert.match(b.stdout, /step 1: must have exactly one of/);
  assert.match(b.stdout, /missing.json: no such file/);
});

test('repl: lines go to the app as the current user, replies appear inline, commands work, history persists', async () => {
  const history = path.join(tmp, 'history');
  const r = runCli(['repl', '--emulator', host, '--history', history]);
  await r.waitFor(/REPL: you are alice@example.com\/desktop/);
  r.child.stdin.write('.from alice@example.com\n');
  await r.waitFor(/now alice@example.com → dev-app@appspot.com/);
  r.child.stdin.write('hello bot\n');
  await r.waitFor(/dev-app@appspot.com\/bot → alice@example.com: Greetings!/);
  r.child.stdin.write('.presence bob@example.com dnd in a call\n');
  await r.waitFor(/bob@example.com: available \(dnd\) "in a call"/);
  r.child.stdin.write('.inject subscription subscribe\n');
  await r.waitFor(/Thanks for subscribing!/);
  r.child.stdin.write('.outbox 2\n');
  await r.waitFor(/#\d+ message dev-app@appspot.com\/bot → alice@example.com: Thanks for subscribing!/);
  r.child.stdin.write('.bogus\n');
  await r.waitFor(/unknown command \.bogus/);
  r.child.stdin.write('.exit\n');
  assert.equal(await r.exited, 0);

  const again = runCli(['repl', '--emulator', host, '--history', history]);
  again.child.stdin.write('.history\n');
  await again.waitFor(/ {2}hello bot/);
  again.child.stdin.end();
  assert.equal(await again.exited, 0);
});

// `messages` shows the replies the app sent while handling a delivery (the README's quick start): listed at once, not
// held for a delivery line that is long past, and live under a filter that hides that line.
test('send, then messages: the reply is listed, also by --in-reply-to the delivery', async () => {
  const sent = await cli(['send', '--emulator', host, '--json', '--from', 'alice@example.com', 'hello']);
  assert.equal(sent.code, 0, sent.stderr);
  const { id } = JSON.parse(sent.stdout) as { id: string };
  const all = await cli(['messages', '--emulator', host]);
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, /Greetings!/);
  const byCause = await cli(['messages', '--emulator', host, '--in-reply-to', id]);
  assert.equal(byCause.code, 0, byCause.stderr);
  assert.match(byCause.stdout, /Greetings!/);
  assert.match((await cli(['messages', '--emulator', host, '--to', 'alice@example.com'])).stdout, /Greetings!/);
});

test('messages --follow --to: a live reply is printed as it comes, not held for a delivery line the filter hides', async () => {
  const f = runCli(['messages', '--follow', '--emulator', host, '--to', 'bob@example.com']);
  await f.waitFor(/following live events/, 'stderr');
  const sent = await cli(['send', '--emulator', host, '--from', 'bob@example.com', 'hello there']);
  assert.equal(sent.code, 0, sent.stderr);
  await f.waitFor(/Greetings!/);
  f.child.kill('SIGINT');
  assert.equal(await f.exited, 0);
});
