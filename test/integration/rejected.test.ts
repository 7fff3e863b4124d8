// Every call the emulator refuses is an event: on the console (one line), in --json, in the transcript.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { killAll, runCli } from '../cli-process.js';
import { postJson } from '../helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xmpp-emu-rejected-'));
after(() => killAll());

const BAD_CALLS: Array<[string, unknown, string]> = [
  ['/v1/xmpp/send_message', { jids: 'nope', body: 'x' }, 'INVALID_JID'],
  ['/v1/xmpp/send_message', { jids: 'a@example.com', body: 'x', message_type: 'yell' }, 'INVALID_TYPE'],
  ['/v1/xmpp/send_invite', { jid: 'a@example.com' }, 'OVER_QUOTA'],
  ['/v1/xmpp/send_mesage', { jids: 'a@example.com', body: 'x' }, 'NOT_FOUND'],
];

test('start --json and --record: each refused call is a "rejected" event with its code, message and request', async () => {
  const config = path.join(tmp, 'quota.json');
  fs.writeFileSync(config, JSON.stringify({ quotas: { invitationsSent: 1 } }));
  const record = path.join(tmp, 'events.jsonl');
  const c = runCli(['start', '--json', '--no-repl', '--port', '0', '--app-id', 'rej', '--config', config, '--record', record]);
  const ready = JSON.parse((await c.waitFor(/\n/)).split('\n')[0]!);
  assert.equal((await postJson(ready.url, '/v1/xmpp/send_invite', { jid: 'first@example.com' })).status, 200, 'the one invitation the quota allows');
  for (const [p, body, code] of BAD_CALLS) assert.equal((await postJson(ready.url, p, body)).body.error.code, code);
  await c.waitFor(/"code":"NOT_FOUND"/);
  const rejected = c
    .stdout()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((e) => e.type === 'rejected');
  assert.deepEqual(
    rejected.map((e) => [e.call, e.code]),
    [
      ['send_message', 'INVALID_JID'],
      ['send_message', 'INVALID_TYPE'],
      ['send_invite', 'OVER_QUOTA'],
      ['send_mesage', 'NOT_FOUND'],
    ],
  );
  assert.deepEqual(rejected[0].request, { jids: 'nope', body: 'x' });
  assert.equal(rejected[0].protocol, 'json');
  assert.match(rejected[1].message, /yell/);
  c.child.kill('SIGTERM');
  assert.equal(await c.exited, 0);
  const recorded = fs
    .readFileSync(record, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((e) => e.type === 'rejected');
  assert.deepEqual(
    recorded.map((e) => e.code),
    ['INVALID_JID', 'INVALID_TYPE', 'OVER_QUOTA', 'NOT_FOUND'],
  );
});

test('the human console prints a refused call as one line naming the call, the code and the request', async () => {
  const c = runCli(['start', '--no-repl', '--port', '0', '--app-id', 'rej']);
  const host = /export XMPP_EMULATOR_HOST=(\S+)/.exec(await c.waitFor(/export XMPP_EMULATOR_HOST=\S+\n/))![1]!;
  await postJson(`http://${host}`, '/v1/xmpp/send_message', { jids: 'nope', body: 'hi there' });
  const out = await c.waitFor(/INVALID_JID.*\n/);
  const line = out.split('\n').find((l) => l.includes('INVALID_JID'))!;
  assert.match(line, /^\d\d:\d\d:\d\d\.\d{3}  app → ✗ +send_message  INVALID_JID: jids "nope" is not a valid JID.*  \{"jids":"nope","body":"hi there"\}$/);
  c.child.kill('SIGINT');
  assert.equal(await c.exited, 0);
});
