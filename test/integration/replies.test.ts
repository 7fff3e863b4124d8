// "The reply to this": the in_reply_to outbox filter on every surface that filters (in-process, the control API,
// RemoteControl, the waits, conversation files, `send`, the REPL), with an app that replies before it answers the
// delivery, after it (held until the test lets it go), or not at all.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import express from 'express';
import multer from 'multer';
import { startEmulator, RemoteControl, type EmulatorEvent, type RunningEmulator } from '../../src/index.js';
import { startRepl } from '../../src/console/repl.js';
import { runConversation } from '../../src/control/conversation-runner.js';
import { parseConversation } from '../../src/domain/conversation.js';
import { cli, killAll, runCli } from '../cli-process.js';
import { getJson, postJson } from '../helpers.js';

let em: RunningEmulator;
let app: Server;
let host: string;
let remote: RemoteControl;
/** Replies the app owes for "late ..." messages, sent when the test calls them. */
const owed = new Map<string, () => Promise<void>>();

/** The app's reply, carrying back the ticket of the delivery it handles, as the SDKs do. */
const reply = (ticket: string, body: string): Promise<unknown> =>
  postJson(`http://${host}`, '/v1/xmpp/send_message', { jids: 'alice@example.com', body }, { 'X-AppEngine-API-Ticket': ticket });

before(async () => {
  // "now X": reply, then answer 200. "late X": answer 200, reply when the test says. "fail X": reply, then 500.
  // Anything else: answer 200 and say nothing.
  const web = express().post('/_ah/xmpp/message/chat/', multer().none(), async (req, res) => {
    const text = (req.body as { body: string }).body;
    const ticket = String(req.headers['x-appengine-api-ticket']);
    const [verb, ...rest] = text.split(' ');
    if (verb === 'now' || verb === 'fail') await reply(ticket, `${verb}: ${rest.join(' ')}`);
    if (verb === 'late') owed.set(text, async () => void (await reply(ticket, `late: ${rest.join(' ')}`)));
    res.status(verb === 'fail' ? 500 : 200).end();
  });
  app = web.listen(0, '127.0.0.1');
  await new Promise((r) => app.once('listening', r));
  em = await startEmulator({ port: 0, appUrl: `http://127.0.0.1:${(app.address() as AddressInfo).port}`, appYaml: null, appId: 'reply-app' });
  host = em.env.XMPP_EMULATOR_HOST;
  remote = new RemoteControl(host);
});
after(async () => {
  killAll();
  await em.close();
  app.close();
});

/** Send the reply the app owes for `text`. */
async function release(text: string): Promise<void> {
  const send = owed.get(text);
  assert.ok(send, `the app owes a reply for ${text}`);
  owed.delete(text);
  await send();
}

/** Resolves when the emulator has reported the delivery of `body` (the app answered). */
function deliveredOf(body: string): Promise<void> {
  return new Promise((resolve) => {
    const off = em.onEvent((e) => {
      if (e.type === 'delivered' && e.result.body === body) {
        off();
        resolve();
      }
    });
  });
}

test('waitFor({in_reply_to}) gets a reply sent after the delivery was answered, in-process and over HTTP', async () => {
  for (const port of [em, remote]) {
    const d = await port.injectMessage({ from: 'alice@example.com/desktop', body: `late ${port === em ? 'a' : 'b'}` });
    assert.equal(d.status, 200);
    // Another delivery's reply comes first and must not satisfy the wait.
    const other = await port.injectMessage({ from: 'alice@example.com/desktop', body: 'now noise' });
    const waiting = port.waitFor({ in_reply_to: d.id, timeoutMs: 5000 });
    await release(`late ${port === em ? 'a' : 'b'}`);
    const got = await waiting;
    assert.equal(got.body, `late: ${port === em ? 'a' : 'b'}`);
    assert.equal(got.in_reply_to, d.id);
    // Already captured: found at once, and only the delivery's own replies are listed.
    assert.deepEqual(
      (await port.outbox({ in_reply_to: other.id })).map((e) => e.body),
      ['now: noise'],
    );
    assert.equal((await port.waitFor({ in_reply_to: other.id, timeoutMs: 1 })).body, 'now: noise');
  }
});

test('expectNone and expectSequence take in_reply_to too', async () => {
  for (const port of [em, remote]) {
    // The reply may already be in the outbox when expectNone is called: only a since before it makes it count.
    const since = await port.lastOutboxId();
    const quiet = await port.injectMessage({ from: 'alice@example.com/desktop', body: 'nothing to say' });
    const chatty = await port.injectMessage({ from: 'alice@example.com/desktop', body: 'now chatty' });
    await port.expectNone({ in_reply_to: quiet.id, since, timeoutMs: 200 });
    await assert.rejects(port.expectNone({ in_reply_to: chatty.id, since, timeoutMs: 200 }), /expected nothing matching \{in_reply_to=/);
    const [e] = await port.expectSequence({ steps: [{ in_reply_to: chatty.id, contains: 'chatty' }], timeoutMs: 1000 });
    assert.equal(e!.body, 'now: chatty');
    await assert.rejects(port.expectSequence({ steps: [{ in_reply_to: quiet.id }], timeoutMs: 200 }), /step 1 of 1 \(\{in_reply_to=/);
  }
});

test('the control API reads in_reply_to from the query and from JSON steps, and refuses an empty one', async () => {
  const d = await em.injectMessage({ from: 'alice@example.com/desktop', body: 'now http' });
  const listed = await getJson(em.url, `/v1/outbox?in_reply_to=${encodeURIComponent(d.id)}`);
  assert.deepEqual(
    listed.body.entries.map((e: { body: string }) => e.body),
    ['now: http'],
  );
  const waited = await getJson(em.url, `/v1/outbox/wait?in_reply_to=${encodeURIComponent(d.id)}&timeout_ms=1000`);
  assert.equal(waited.body.entry.body, 'now: http');
  const seq = await postJson(em.url, '/v1/outbox/expect_sequence', { steps: [{ in_reply_to: d.id }], timeout_ms: 1000 });
  assert.equal(seq.status, 200);
  assert.equal(seq.body.entries[0].in_reply_to, d.id);
  for (const [r, where] of [
    [await getJson(em.url, '/v1/outbox?in_reply_to='), 'in_reply_to'],
    [await postJson(em.url, '/v1/outbox/expect_sequence', { steps: [{ in_reply_to: '' }] }), 'steps[0].in_reply_to'],
    [await postJson(em.url, '/v1/outbox/expect_sequence', { steps: [{ in_reply_to: 7 }] }), 'steps[0].in_reply_to must be a string'],
  ] as const) {
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'BAD_REQUEST');
    assert.ok(r.body.error.message.includes(where), r.body.error.message);
  }
});

test('an empty in_reply_to is refused alike in-process, over HTTP and by the CLI (one rule), never waited on', async () => {
  const empty = /in_reply_to must be a delivery id .*not empty/;
  for (const port of [em, remote]) {
    // A refusal, not a time-out: the wait would otherwise end with TIMEOUT after 1 ms.
    for (const call of [
      () => port.waitFor({ in_reply_to: '', timeoutMs: 1 }),
      () => port.expectNone({ in_reply_to: '', timeoutMs: 1 }),
      () => port.outbox({ in_reply_to: '' }),
    ])
      await assert.rejects(call(), (e: Error & { code?: string }) => e.code === 'BAD_REQUEST' && empty.test(e.message));
  }
  const waited = await getJson(em.url, '/v1/outbox/wait?in_reply_to=&timeout_ms=1');
  assert.equal(waited.status, 400);
  assert.match(waited.body.error.message, empty);
  for (const args of [['messages'], ['messages', '--follow']]) {
    const r = await cli([...args, '--emulator', host, '--in-reply-to', '']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, empty);
  }
});

test('a conversation file waits for the reply to its latest injection with "reply": true', async () => {
  const file = (steps: unknown[]): ReturnType<typeof parseConversation> =>
    parseConversation(JSON.stringify({ from: 'alice@example.com', timeout_ms: 3000, steps }), 'reply.json');
  // The late reply is let go once the delivery has been answered: the expect must still find it.
  const answered = deliveredOf('late file');
  const running = runConversation(
    file([
      { send: 'late file' },
      { expect: { body: 'late: file', reply: true } },
      { send: 'now one' },
      { expect_sequence: [{ body: 'now: one', reply: true }] },
      { send: 'silence' },
      { expect_none: { reply: true, timeout_ms: 200 } },
    ]),
    em,
  );
  await answered;
  await release('late file');
  const report = await running;
  assert.ok(report.ok, JSON.stringify(report.steps));
  assert.match(report.steps[1]!.step, /expect reply: message to alice@example\.com with/);
  // A body that the app did send, but for an earlier message, is not the reply to this one.
  const strict = await runConversation(
    file([{ send: 'now two' }, { send: 'silence again' }, { expect: { body: 'now: two', reply: true, timeout_ms: 300 } }]),
    em,
  );
  assert.equal(strict.ok, false);
  assert.equal(strict.steps[2]!.outcome, 'failed');
});

test('send prints replies that come after the delivery was answered, under it; --json carries them; exit codes hold', async () => {
  const answered = deliveredOf('late cli');
  const late = runCli(['send', '--emulator', host, '--from', 'alice@example.com', '--wait', '3000', 'late cli']);
  let seen = false;
  await Promise.race([
    answered.then(() => (seen = true)),
    late.exited.then((code) => assert.ok(seen, `send ended (${code}) before its delivery: ${late.stderr()}`)),
  ]);
  await release('late cli');
  assert.equal(await late.exited, 0, late.stderr());
  const lines = late.stdout().trim().split('\n');
  assert.match(lines[0]!, /user → app  message\s+alice@example\.com → reply-app@appspot\.com  200 .* "late cli"$/);
  assert.match(lines[1]!, /↳ app → user .* "late: cli"$/);

  const json = await cli(['send', '--json', '--wait', '0', '--emulator', host, '--from', 'alice@example.com', 'now json']);
  assert.equal(json.code, 0, json.stderr);
  const result = JSON.parse(json.stdout);
  assert.deepEqual(
    result.replies.map((e: { body: string; in_reply_to: string }) => [e.body, e.in_reply_to]),
    [['now: json', result.id]],
  );

  // --wait 0: only what was sent before the app answered; the late reply comes after `send` has ended.
  const quick = await cli(['send', '--wait', '0', '--emulator', host, '--from', 'alice@example.com', 'late quick']);
  assert.equal(quick.code, 0, quick.stderr);
  assert.equal(quick.stdout.trim().split('\n').length, 1, quick.stdout);
  await release('late quick');

  const failed = await cli(['send', '--wait', '0', '--emulator', host, '--from', 'alice@example.com', 'fail hard']);
  assert.equal(failed.code, 1, 'a delivery the app answered 500 exits 1, replies or not');
  assert.match(failed.stdout, /500[\s\S]*↳ app → user .* "fail: hard"/);

  const bad = await cli(['send', '--wait', 'soon', '--emulator', host, '--from', 'alice@example.com', 'hi']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--wait must be a whole number from 0 to 600000, not "soon"/);
});

test('the REPL prints a reply under the line that caused it, even when it comes after the delivery was answered', async () => {
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  output.on('data', (c: Buffer) => (text += c.toString('utf8')));
  const lines = (): string[] => text.split('\n');
  const until = async (re: RegExp): Promise<void> => {
    while (!re.test(text)) await new Promise((r) => output.once('data', r));
  };
  // As `xmpp-emu repl` runs it: over HTTP, the feed connected before the first line.
  const control = new RemoteControl(host);
  const listeners = new Set<(e: EmulatorEvent) => void>();
  const closeFeed = await control.openFeed((e) => listeners.forEach((l) => l(e)));
  const events = (l: (e: EmulatorEvent) => void): (() => void) => (listeners.add(l), () => void listeners.delete(l));
  const repl = startRepl({ control, events, input, output, appJid: 'reply-app@appspot.com', historyFile: null, console: false, color: false, terminal: false });
  const answered = deliveredOf('late repl');
  input.write('late repl\n');
  await answered;
  await release('late repl');
  await until(/late: repl/);
  // Someone else's delivery: its reply is printed as it comes, not indented under the REPL's lines.
  await postJson(em.url, '/v1/inbound/message', { from: 'bob@example.com/desktop', body: 'now from bob' });
  await until(/now: from bob/);
  input.write('fail repl\n');
  await until(/fail: repl/);
  await until(/not delivered/);
  repl.close();
  await repl.closed;
  closeFeed();
  const late = lines().find((l) => l.includes('late: repl'))!;
  assert.match(late, /^ {2}↳ reply-app@appspot\.com\S* → alice@example\.com: late: repl$/);
  assert.match(
    lines().find((l) => l.includes('now: from bob'))!,
    /^reply-app@appspot\.com\S* → alice@example\.com: now: from bob$/,
  );
  // The failed delivery's line comes first, its reply under it.
  const failLine = lines().findIndex((l) => l.includes('not delivered') || /✗/.test(l));
  const failReply = lines().findIndex((l) => l.includes('fail: repl'));
  assert.ok(failLine !== -1 && failReply > failLine, text);
  assert.match(lines()[failReply]!, /^ {2}↳ /);
});
