// What a delivery's caller can count on when its promise resolves (in-process) or its answer arrives (control API):
// the `delivered` event has been heard by every subscriber (the feed's history, the console, the inspector), it
// carries what travelled both ways, the stats count the request, and the result's fields come in one order (its JSON
// is what the console, the transcript and the CLI print). The delivery path does work after the request is written
// and builds its objects without spreads (speed, issue 14): none of that may move any of this.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startEmulator, type DeliveryResult, type EmulatorEvent, type RunningEmulator } from '../../src/index.js';
import { postJson, startTestApp, type TestApp } from '../helpers.js';

let app: TestApp;
let em: RunningEmulator;
const heard: EmulatorEvent[] = [];

before(async () => {
  app = await startTestApp();
  em = await startEmulator({ port: 0, appUrl: app.url, appYaml: null });
  em.onEvent((e) => void heard.push(e));
});
after(async () => {
  await em.close();
  await app.close();
});

const FIELDS = ['id', 'kind', 'type', 'from', 'to', 'path', 'version', 'body', 'url', 'delivered', 'status', 'duration_ms'];

function deliveredEvent(id: string): Extract<EmulatorEvent, { type: 'delivered' }> | undefined {
  return heard.find((e): e is Extract<EmulatorEvent, { type: 'delivered' }> => e.type === 'delivered' && e.result.id === id);
}

function requestsCounted(): number {
  return em.stats().quotas.total.incoming_requests;
}

test('when injectMessage resolves, its delivered event was heard with both sides of the exchange, the request is counted, and the fields are in order', async () => {
  for (const [respond, extra] of [
    [200, []],
    [503, ['reason']],
  ] as const) {
    app.respond = respond;
    const counted = requestsCounted();
    const r = await em.injectMessage({ from: 'alice@example.com/phone', body: `order ${respond}` });
    // Nothing awaited since: all of this was done before the promise resolved.
    const event = deliveredEvent(r.id);
    assert.ok(event, 'the delivered event was heard before the caller went on');
    assert.equal(event.result, r, 'the event carries the very result the caller got');
    assert.deepEqual(Object.keys(r), [...FIELDS, ...extra]);
    assert.equal(r.status, respond);
    assert.equal(r.delivered, respond === 200);
    if (respond !== 200) assert.equal(r.reason, `the app answered HTTP 503 (POST ${r.url})`);
    assert.equal(event.exchange?.request.headers['X-AppEngine-API-Ticket'], r.id);
    assert.equal(event.exchange?.response?.status, respond);
    assert.equal(requestsCounted(), counted + 1);
    assert.equal(app.received.at(-1)?.fields.body, `order ${respond}`);
  }
  app.respond = 200;
});

test('a delivery fault tags the result last; a duplicate is heard before the caller goes on', async () => {
  const [rule] = await em.addFault({ delivery: 'duplicate', times: 1 });
  const before = heard.length;
  const r: DeliveryResult = await em.injectMessage({ from: 'alice@example.com/phone', body: 'twice' });
  assert.deepEqual(Object.keys(r), [...FIELDS, 'fault']);
  assert.equal(r.fault, rule!.id);
  const delivered = heard.slice(before).filter((e) => e.type === 'delivered');
  assert.equal(delivered.length, 2, 'the delivery and its duplicate');
});

test('when the control API answers an injection, its delivered event was heard and counted', async () => {
  const counted = requestsCounted();
  const { status, body } = await postJson(em.url, '/v1/inbound/message', { from: 'alice@example.com/phone', body: 'over http' });
  assert.equal(status, 200);
  const event = deliveredEvent((body as DeliveryResult).id);
  assert.ok(event, 'heard before the answer was sent');
  assert.deepEqual(Object.keys(body as DeliveryResult), FIELDS);
  assert.deepEqual(event.result, body);
  assert.equal(requestsCounted(), counted + 1);
});
