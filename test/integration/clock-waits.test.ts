// Waits and delays follow the namespace's clock: on a frozen clock, advancing it fires a delayed delivery, answers a
// call held by latency, and ends wait windows (in-process and over HTTP); nothing waits longer in real time than its
// span, so a long-poll on a clock nobody advances still ends.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startEmulator, AssertionFailedError, TimeoutError, type EmulatorEvent, type NamespacedEmulator, type RunningEmulator } from '../../src/index.js';
import { RemoteControl } from '../../src/control/remote.js';
import { engineOf } from '../../src/core/start.js';
import { getJson, postJson, startTestApp, type TestApp } from '../helpers.js';

let app: TestApp;
let em: RunningEmulator;
before(async () => {
  app = await startTestApp();
  em = await startEmulator({ port: 0, appUrl: app.url, appYaml: null });
});
after(async () => {
  await em.close();
  await app.close();
});

// The longest delay or latency a fault takes (ten minutes).
const SPAN = 600_000;
// A failure here would otherwise be a wait of ten minutes: the test's own limit makes it a failure.
const LIMIT = { timeout: 20_000 };

/** The next event of this namespace of the given type. */
function next(ns: NamespacedEmulator, type: EmulatorEvent['type']): Promise<EmulatorEvent> {
  return new Promise((resolve) => {
    const off = ns.onEvent((e) => e.type === type && (off(), resolve(e)));
  });
}

async function frozen(): Promise<NamespacedEmulator> {
  const ns = em.namespace();
  await ns.setClock({ freeze: true });
  return ns;
}

test('a delay fault on a frozen clock posts the delivery when the clock is advanced past it, not before', LIMIT, async () => {
  const ns = await frozen();
  await ns.addFault({ delivery: 'delay', delay_ms: SPAN, times: 1 });
  const before = app.received.length;
  const fired = next(ns, 'fault');
  const delivery = ns.injectMessage({ from: 'alice@example.com', body: 'ten minutes late' });
  await fired;
  await ns.setClock({ advance_ms: SPAN - 1 });
  assert.equal(app.received.length, before, 'not posted a millisecond early');
  const posted = app.next();
  await ns.setClock({ advance_ms: 1 });
  assert.equal((await posted).fields.body, 'ten minutes late');
  assert.equal((await delivery).delivered, true);
});

test('a latency fault on a frozen clock answers the call when the clock is advanced', LIMIT, async () => {
  const ns = await frozen();
  await ns.addFault({ call: 'get_presence', latency_ms: SPAN, times: 1 });
  const fired = next(ns, 'fault');
  let answered = false;
  const call = postJson(em.url, `/ns/${ns.namespace}/v1/xmpp/get_presence`, { jid: 'alice@example.com' }).then((r) => ((answered = true), r));
  await fired;
  await ns.setClock({ advance_ms: SPAN / 2 });
  assert.equal(answered, false);
  await ns.setClock({ advance_ms: SPAN / 2 });
  assert.equal((await call).status, 200);
});

test('waitFor, expectNone and expectSequence windows end when the frozen clock passes them, in-process and over HTTP', LIMIT, async () => {
  const ns = await frozen();
  const remote = new RemoteControl(ns.url);
  const waits = [
    assert.rejects(ns.waitFor({ to: 'nobody@example.com', timeoutMs: SPAN }), TimeoutError),
    assert.rejects(remote.waitFor({ to: 'nobody@example.com', timeoutMs: 600_000 }), /within 600000 ms/),
    ns.expectNone({ to: 'nobody@example.com', timeoutMs: SPAN }),
    remote.expectNone({ to: 'nobody@example.com', timeoutMs: 600_000 }),
    assert.rejects(ns.expectSequence({ steps: [{ to: 'nobody@example.com' }], timeoutMs: SPAN }), /step 1 of 1/),
    assert.rejects(remote.expectSequence({ steps: [{ to: 'nobody@example.com' }], timeoutMs: 600_000 }), /step 1 of 1/),
  ];
  // The HTTP waits are registered once their requests arrive: wait until all six are pending on the clock.
  const spans = engineOf(em).inNamespace(ns.namespace).timers;
  while (spans.size < waits.length) await new Promise((r) => setImmediate(r));
  await ns.setClock({ advance_ms: SPAN });
  await Promise.all(waits);
});

test('on a frozen clock an entry inside the window still counts: waitFor gets it, expectNone fails on it', LIMIT, async () => {
  const ns = await frozen();
  const none = assert.rejects(ns.expectNone({ to: 'bob@example.com', timeoutMs: 60_000 }), AssertionFailedError);
  const wait = ns.waitFor({ to: 'bob@example.com', timeoutMs: 60_000 });
  await postJson(em.url, `/ns/${ns.namespace}/v1/xmpp/send_message`, { jids: 'bob@example.com', body: 'inside' });
  assert.equal((await wait).body, 'inside');
  await none;
});

test('on a frozen clock nobody advances, a wait still ends after its span of real time (an HTTP long-poll cannot hang)', LIMIT, async () => {
  const ns = await frozen();
  const { status, body } = await getJson(em.url, `/ns/${ns.namespace}/v1/outbox/wait?to=nobody@example.com&timeout_ms=200`);
  assert.equal(status, 408);
  assert.equal(body.error.code, 'TIMEOUT');
  await ns.expectNone({ to: 'nobody@example.com', timeoutMs: 100 });
});
