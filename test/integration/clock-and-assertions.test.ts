// The controllable clock (quota day, timestamps) and the server-side assertions (negative wait, ordered sequence),
// in-process and over the control API.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startEmulator, TimeoutError, type RunningEmulator } from '../../src/index.js';
import { RemoteControl } from '../../src/control/remote.js';
import { getJson, postJson } from '../helpers.js';

let em: RunningEmulator;
before(async () => {
  em = await startEmulator({ port: 0, appYaml: null });
});
after(async () => {
  await em.close();
});

const send = (body: string, to = 'alice@example.com') => postJson(em.url, '/v1/xmpp/send_message', { jids: to, body });

test('the clock rolls the quota day at Pacific midnight; timestamps follow it', async (t) => {
  const quota = await startEmulator({ port: 0, appYaml: null, quotas: { apiCalls: 2 } });
  t.after(() => quota.close());
  const remote = new RemoteControl(quota.url);
  const send = (body: string) => postJson(quota.url, '/v1/xmpp/send_message', { jids: 'alice@example.com', body });
  await remote.setClock({ freeze: true });
  const state = await remote.setClock({ set: '2026-03-08T07:59:00Z' }); // 23:59 PST, March 7th
  assert.deepEqual([state.now, state.frozen], ['2026-03-08T07:59:00.000Z', true]);
  assert.equal((await send('one')).status, 200);
  assert.equal((await send('two')).status, 200);
  const over = await send('three');
  assert.equal(over.status, 429);
  assert.equal(over.body.error.code, 'OVER_QUOTA');
  assert.equal(quota.stats().quotas.today.day, '2026-03-07');
  await remote.setClock({ advance_ms: 59_999 });
  assert.equal((await send('still the 7th')).status, 429);
  await remote.setClock({ advance_ms: 1 });
  assert.equal((await send('a new day')).status, 200);
  assert.equal(quota.stats().quotas.today.day, '2026-03-08');
  assert.equal(quota.stats().quotas.today.resets_at, '2026-03-09T07:00:00.000Z', 'a 23-hour day: daylight saving starts');
  const [entry] = await quota.outbox({ contains: 'a new day' });
  assert.equal(entry!.time, '2026-03-08T08:00:00.000Z');
  assert.equal((await postJson(quota.url, '/v1/clock', { advance_ms: -5 })).status, 400);
  await quota.reset();
  assert.equal((await quota.setClock()).frozen, false, 'reset gives the machine clock back');
});

test('expectNone passes when nothing matching comes, and fails with ASSERTION_FAILED when it does', async () => {
  const remote = new RemoteControl(em.url);
  const since = await em.lastOutboxId();
  await send('hello bob', 'bob@example.com');
  await remote.expectNone({ to: 'alice@example.com', since, timeoutMs: 50 });
  await assert.rejects(
    remote.expectNone({ to: 'bob@example.com', since, timeoutMs: 50 }),
    (e: Error & { code: string }) => e.code === 'ASSERTION_FAILED' && /"hello bob"/.test(e.message),
  );
  const later = assert.rejects(em.expectNone({ to: 'carol@example.com', timeoutMs: 5_000 }), /expected nothing matching/);
  await send('surprise', 'carol@example.com');
  await later;
});

test('expectNone without since looks only at what arrives after the call: an earlier reply does not fail it', async () => {
  await send('an earlier reply', 'frank@example.com');
  // Over HTTP, through RemoteControl and in process: the entry already in the outbox does not count.
  const http = await getJson(em.url, '/v1/outbox/expect_none?to=frank@example.com&timeout_ms=50');
  assert.equal(http.status, 200, JSON.stringify(http.body));
  await new RemoteControl(em.url).expectNone({ to: 'frank@example.com', timeoutMs: 50 });
  await em.expectNone({ to: 'frank@example.com', timeoutMs: 50 });
  // An explicit since is honoured: since=0 looks at the whole outbox.
  const whole = await getJson(em.url, '/v1/outbox/expect_none?to=frank@example.com&since=0&timeout_ms=50');
  assert.equal(whole.status, 409);
  assert.match(whole.body.error.message, /"an earlier reply"/);
  // What arrives during the wait still fails it.
  const during = assert.rejects(em.expectNone({ to: 'frank@example.com', timeoutMs: 5_000 }), /"a new reply"/);
  await send('a new reply', 'frank@example.com');
  await during;
});

test('expectSequence: in order within one conversation; a swapped order names the step that did not come', async () => {
  const remote = new RemoteControl(em.url);
  const since = await em.lastOutboxId();
  await send('step one', 'dave@example.com');
  await send('noise', 'erin@example.com');
  await send('step two', 'dave@example.com/phone');
  const got = await remote.expectSequence({
    conversation: 'dave@example.com',
    since,
    steps: [{ contains: 'one' }, { matches: /^step two$/ }],
    timeoutMs: 1000,
  });
  assert.deepEqual(
    got.map((e) => e.body),
    ['step one', 'step two'],
  );
  await assert.rejects(
    em.expectSequence({ conversation: 'dave@example.com', since, steps: [{ contains: 'two' }, { contains: 'one' }], timeoutMs: 100 }),
    (e: Error) => e instanceof TimeoutError && /step 2 of 2 \(\{contains="one"\}\)/.test(e.message),
  );
  const bad = await postJson(em.url, '/v1/outbox/expect_sequence', { steps: [{ colour: 'red' }] });
  assert.equal(bad.status, 400);
});
