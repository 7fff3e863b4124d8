// Faults at work: service calls fail as the rules say, deliveries are dropped, delayed, duplicated, reordered or
// given up on, every firing is a `fault` event (console, transcript), and a seed repeats every random choice.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { startEmulator, type EmulatorEvent, type RunningEmulator } from '../../src/index.js';
import { RemoteControl } from '../../src/control/remote.js';
import { captureStream, getJson, postJson, startTestApp, tempPath, type TestApp } from '../helpers.js';

let app: TestApp;
let em: RunningEmulator;
const transcript = tempPath('xmpp-emu-faults-', 't.jsonl');
const consoleOut = captureStream();

before(async () => {
  app = await startTestApp();
  em = await startEmulator({ port: 0, appUrl: app.url, appYaml: null, record: transcript, console: true, json: true, stdout: consoleOut.stream, seed: 7 });
});
after(async () => {
  await em.close();
  await app.close();
});

const send = (jids: string | string[], body = 'hi', headers: Record<string, string> = {}) => postJson(em.url, '/v1/xmpp/send_message', { jids, body }, headers);

test('service-call faults over the control API: a per-JID status, a coded error for the next match, then normal again', async () => {
  const remote = new RemoteControl(em.url);
  const [status] = await remote.addFault({ status: 'OTHER_ERROR', jid: 'bob@*', name: 'bob is offline' });
  assert.equal(status!.id, 'f1');
  assert.deepEqual((await send(['alice@example.com', 'bob@example.com/phone'])).body, { statuses: [0, 2] });
  await remote.addFault({ call: 'send_invite', error: 'OVER_QUOTA', times: 1 });
  const refused = await postJson(em.url, '/v1/xmpp/send_invite', { jid: 'carol@example.com' });
  assert.equal(refused.status, 429);
  assert.equal(refused.body.error.code, 'OVER_QUOTA');
  assert.match(refused.body.error.message, /^fault f2: send_invite fails with OVER_QUOTA/);
  assert.equal((await postJson(em.url, '/v1/xmpp/send_invite', { jid: 'carol@example.com' })).status, 200, 'times: 1 is spent');
  const listed = await remote.listFaults();
  assert.deepEqual(
    listed.map((f) => [f.id, f.fired]),
    [
      ['f1', 1],
      ['f2', 1],
    ],
  );
  await remote.removeFault('f1');
  assert.deepEqual((await send('bob@example.com')).body, { statuses: [0] });
  assert.equal(await remote.clearFaults(), 1);
  const bad = await postJson(em.url, '/v1/faults', { status: 'SOMETIMES' });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error.message, /"status" must be one of INVALID_JID, OTHER_ERROR/);
  assert.equal((await fetch(`${em.url}/v1/faults/f99`, { method: 'DELETE' })).status, 404);
});

test('a latency fault makes the call answer later, and says so in a fault event', async () => {
  await em.addFault({ call: 'get_presence', latency_ms: 150, times: 1 });
  const fired = new Promise<EmulatorEvent>((resolve) => {
    const off = em.onEvent((e) => e.type === 'fault' && (off(), resolve(e)));
  });
  const started = performance.now();
  const r = await postJson(em.url, '/v1/xmpp/get_presence', { jid: 'alice@example.com' });
  assert.equal(r.status, 200);
  assert.ok(performance.now() - started >= 140, 'answered after the latency');
  const e = await fired;
  assert.equal(e.type === 'fault' && e.effect, 'latency 150 ms');
  await em.clearFaults();
});

test('delivery faults: drop, duplicate, reorder, time out, delay', async () => {
  const from = 'dave@example.com';
  const before = app.received.length;
  const bodies = (): string[] => app.received.slice(before).map((r) => r.fields.body!);

  const [drop] = await em.addFault({ delivery: 'drop', body: '^lost$', times: 1 });
  const dropped = await em.injectMessage({ from, body: 'lost' });
  assert.equal(dropped.delivered, false);
  assert.equal(dropped.fault, drop!.id);
  assert.match(dropped.reason!, /dropped/);

  await em.addFault({ delivery: 'duplicate', times: 1 });
  const twice = await em.injectMessage({ from, body: 'twice' });
  assert.equal(twice.delivered, true);
  assert.deepEqual(bodies(), ['twice', 'twice'], 'the app saw it twice, never the dropped one');

  await em.addFault({ delivery: 'reorder', times: 1, delay_ms: 60_000 });
  const held = await em.injectMessage({ from, body: 'first' });
  assert.equal(held.held, true);
  const nextTwo = new Promise<void>((resolve) => {
    const off = em.onEvent((e) => e.type === 'delivered' && e.result.body === 'first' && (off(), resolve()));
  });
  await em.injectMessage({ from, body: 'second' });
  await nextTwo;
  assert.deepEqual(bodies().slice(2), ['second', 'first'], 'the held delivery went after the next one');

  await em.addFault({ delivery: 'timeout', times: 1 });
  const timedOut = await em.injectMessage({ from, body: 'slow' });
  assert.equal(timedOut.delivered, false);
  assert.match(timedOut.reason!, /timed out \(the app answered 200; ignored\)/);
  assert.equal(bodies().at(-1), 'slow', 'the app still got it');

  await em.addFault({ delivery: 'delay', delay_ms: 100, times: 1 });
  const started = performance.now();
  assert.equal((await em.injectMessage({ from, body: 'late' })).delivered, true);
  assert.ok(performance.now() - started >= 90);
  await em.clearFaults();
});

test('every fault that fires is an event on the console and in the transcript', async () => {
  await em.addFault({ status: 'INVALID_JID', jid: 'erin@example.com', times: 1, name: 'erin gone' });
  await send('erin@example.com');
  const { body } = await getJson(em.url, '/v1/faults');
  assert.equal(body.faults[0].fired, 1);
  await em.clearFaults();
  const lines = fs
    .readFileSync(transcript, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as EmulatorEvent);
  const faults = lines.filter((e) => e.type === 'fault');
  assert.ok(faults.length >= 9, `${faults.length} fault events in the transcript`);
  assert.ok(faults.some((e) => e.type === 'fault' && e.name === 'erin gone' && e.jids[0] === 'erin@example.com' && e.effect === 'status INVALID_JID'));
  assert.ok(faults.some((e) => e.type === 'fault' && e.call === 'delivery' && e.effect === 'delivery reorder'));
  // The console gathers its lines under load (console/printer.ts): wait until they are written.
  while (!/"type":"fault".*"name":"erin gone"/.test(consoleOut.text())) await new Promise((r) => consoleOut.stream.once('data', r));
});

test('with the same --seed, probability rules fire on the same calls and deliveries are the same bytes; another seed differs', async () => {
  const run = async (seed: number): Promise<string> => {
    const e = await startEmulator({ port: 0, appUrl: app.url, appYaml: null, seed, faults: [{ status: 'OTHER_ERROR', probability: 0.5 }] });
    try {
      assert.equal(e.seed, seed);
      assert.equal(e.info().seed, seed);
      const statuses: number[] = [];
      for (let i = 0; i < 24; i++) statuses.push(...(await postJson(e.url, '/v1/xmpp/send_message', { jids: 'x@example.com', body: `${i}` })).body.statuses);
      // What the app receives: the multipart body (boundary included) and the ticket headers.
      const got = app.next();
      await e.injectMessage({ from: 'alice@example.com', body: 'same bytes?' });
      const { raw, headers } = await got;
      return JSON.stringify([statuses.join(''), raw.toString('latin1'), headers['content-type'], headers['x-appengine-api-ticket']]);
    } finally {
      await e.close();
    }
  };
  const a = await run(42);
  const [statuses, raw] = JSON.parse(a) as string[];
  assert.match(statuses!, /0/);
  assert.match(statuses!, /2/);
  assert.match(raw!, /same bytes\?/);
  assert.equal(await run(42), a);
  const other = JSON.parse(await run(43)) as string[];
  for (const i of [0, 1, 2, 3]) assert.notEqual(other[i], JSON.parse(a)[i], `field ${i} differs with another seed`);
});
