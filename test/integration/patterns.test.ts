// A user's pattern never runs on a backtracking engine (issue 9, item 2), and `run` keeps a pattern's flags and
// expects long bodies without putting them in a URL (item 11).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { RemoteControl } from '../../src/control/remote.js';
import { runConversation } from '../../src/control/conversation-runner.js';
import { parseConversation } from '../../src/domain/conversation.js';
import { killAll, runCli } from '../cli-process.js';
import { getJson, postJson, startEmulatorWithApp } from '../helpers.js';

after(killAll);

test('a catastrophic matches= pattern on the control API answers in linear time; the emulator stays responsive', { timeout: 30_000 }, async () => {
  const c = runCli(['start', '--json', '--port', '0', '--no-repl']);
  const { url } = JSON.parse((await c.waitFor(/\n/)).split('\n')[0]!);
  await postJson(url, '/v1/xmpp/send_message', { jids: 'victim@example.com', body: `${'a'.repeat(40)}!` });
  for (const p of ['(a+)+$', '^(a|a)*$', '(a*)*b']) {
    const waited = await getJson(url, `/v1/outbox/wait?matches=${encodeURIComponent(p)}&timeout_ms=50`);
    assert.equal(waited.status, 408, p);
    assert.equal((await getJson(url, `/v1/outbox?matches=${encodeURIComponent(p)}`)).body.entries.length, 0);
  }
  assert.equal((await getJson(url, '/healthz')).status, 200);
  const bad = await getJson(url, `/v1/outbox?matches=${encodeURIComponent('a(?=b)')}`);
  assert.equal(bad.status, 400);
  assert.match(bad.body.error.message, /RE2 syntax/);
  c.child.kill('SIGTERM');
  assert.equal(await c.exited, 0);
});

test("a conversation file's catastrophic pattern cannot freeze the runner either", { timeout: 30_000 }, async () => {
  const { app, em, close } = await startEmulatorWithApp();
  const reply = app.next().then((got) => postJson(em.url, '/v1/xmpp/send_message', { jids: got.fields.from, body: `${'a'.repeat(40)}!` }));
  const conv = parseConversation(
    JSON.stringify({ from: 'slow@example.com', steps: [{ send: 'go' }, { expect: { matches: '(a+)+$', timeout_ms: 100 } }] }),
    'slow.json',
  );
  const report = await runConversation(conv, em);
  await reply;
  assert.equal(report.ok, false);
  assert.match(report.steps[1]!.detail, /nothing matched/);
  await close();
});

test("run over HTTP keeps a pattern's flags and expects a 3,000-character body without an oversized URL", async () => {
  const { app, em, close } = await startEmulatorWithApp();
  const LONG = `${'long & "quoted" reply / '.repeat(125)}end`;
  assert.ok(LONG.length > 3000);
  const replies = (async () => {
    for (let n = 0; n < 2; n++) {
      const got = await app.next();
      await postJson(em.url, '/v1/xmpp/send_message', { jids: got.fields.from, body: got.fields.body === 'long please' ? LONG : 'Greetings, human!' });
    }
  })();
  const conv = parseConversation(
    JSON.stringify({
      from: 'runner@example.com',
      steps: [{ send: 'hi' }, { expect: { matches: 'GREETINGS, HUMAN', flags: 'i' } }, { send: 'long please' }, { expect: LONG }],
    }),
    'flags.json',
  );
  const report = await runConversation(conv, new RemoteControl(em.url));
  await replies;
  assert.deepEqual(
    report.steps.map((s) => `${s.outcome}: ${s.detail.slice(0, 60)}`).filter((s) => !s.startsWith('passed')),
    [],
  );
  assert.equal(report.ok, true);
  await close();
});
