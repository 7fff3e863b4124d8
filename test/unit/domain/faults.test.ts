import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FaultBook, jidPatternMatches, parseFaultRule, type FaultTarget } from '../../../src/domain/faults.js';
import { deriveSeed, seededRandom } from '../../../src/domain/random.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

/** Play the same 40 calls against a book holding one rule; the list of call numbers on which it fired. */
function firings(rule: unknown, seed: number, target: (i: number) => FaultTarget, at: (i: number) => number = () => T0): number[] {
  const book = new FaultBook(seededRandom(seed));
  book.add(rule, T0);
  const out: number[] = [];
  for (let i = 0; i < 40; i++) if (book.fire(target(i), at(i)).length > 0) out.push(i);
  return out;
}

const message = (i: number): FaultTarget => ({ call: 'send_message', jids: [i % 2 ? 'bob@example.com/phone' : 'alice@example.com'], body: `msg ${i}` });
const delivery = (i: number): FaultTarget => ({ call: 'delivery', jids: ['alice@example.com'], body: `msg ${i}` });

test('each rule kind with a seed fires on the same calls twice; another seed draws differently', () => {
  const rules: Array<[string, unknown, (i: number) => FaultTarget]> = [
    ['per-JID status', { status: 'OTHER_ERROR', jid: 'bob@*', probability: 0.5 }, message],
    ['service error', { call: ['send_message', 'send_invite'], error: 'OVER_QUOTA', probability: 0.3 }, message],
    ['latency', { call: 'send_message', latency_ms: 20, body: '[02468]$', probability: 0.6 }, message],
    ...(['drop', 'duplicate', 'reorder', 'timeout'] as const).map((d): [string, unknown, (i: number) => FaultTarget] => [
      `delivery ${d}`,
      { delivery: d, probability: 0.4 },
      delivery,
    ]),
    ['delivery delay', { delivery: 'delay', delay_ms: 5, probability: 0.4 }, delivery],
  ];
  for (const [what, rule, target] of rules) {
    const a = firings(rule, 42, target);
    const b = firings(rule, 42, target);
    assert.deepEqual(a, b, what);
    assert.ok(a.length > 0 && a.length < 40, `${what}: fired ${a.length} of 40`);
    assert.notDeepEqual(firings(rule, 7, target), a, `${what}: seed 7 should differ from seed 42`);
  }
});

test('scopes: the next N matches, a time window on the emulator clock, a body pattern, a JID pattern', () => {
  assert.deepEqual(firings({ status: 'OTHER_ERROR', times: 2 }, 1, message), [0, 1]);
  assert.deepEqual(firings({ status: 'OTHER_ERROR', jid: 'bob@example.com', times: 2 }, 1, message), [1, 3]);
  // a window from call 10 to call 20, with the clock a minute per call
  const minute = (i: number): number => T0 + i * 60_000;
  assert.deepEqual(
    firings({ error: 'OVER_QUOTA', from: '2026-01-01T00:10:00Z', for_ms: 600_000 }, 1, message, minute),
    [10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
  );
  assert.deepEqual(firings({ latency_ms: 1, body: '^msg 3' }, 1, message), [3, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39]);
  assert.deepEqual(firings({ delivery: 'drop' }, 1, message), [], 'a delivery rule never fires on a service call');
  const book = new FaultBook(seededRandom(1));
  const r = book.add({ status: 'INVALID_JID', jid: '*@example.com' }, T0);
  const [fired] = book.fire({ call: 'send_message', jids: ['a@example.com', 'b@example.org', 'c@example.com/x'] }, T0);
  assert.deepEqual(fired!.jids, ['a@example.com', 'c@example.com/x']);
  assert.equal(book.list()[0]!.fired, 1);
  assert.equal(r.id, 'f1');
  assert.ok(book.remove('f1'));
  assert.equal(book.size, 0);
});

test('one delivery fault decides a delivery; latency combines with it', () => {
  const book = new FaultBook(seededRandom(1));
  book.add({ delivery: 'drop' }, T0);
  book.add({ delivery: 'duplicate' }, T0);
  book.add({ call: 'delivery', latency_ms: 5 }, T0);
  const fired = book.fire(delivery(0), T0);
  assert.deepEqual(
    fired.map((f) => f.rule.id),
    ['f1', 'f3'],
  );
});

test('JID patterns', () => {
  const cases: Array<[string, string, boolean]> = [
    ['bob@example.com', 'bob@example.com/phone', true],
    ['bob@example.com', 'BOB@example.com', true],
    ['bob@example.com/phone', 'bob@example.com/laptop', false],
    ['*@example.com', 'x@example.com', true],
    ['*@example.com', 'x@example.com.evil', false],
    ['b.b@example.com', 'bob@example.com', false],
    ['*', 'anyone@anywhere', true],
  ];
  for (const [p, j, want] of cases) assert.equal(jidPatternMatches(p, j), want, `${p} ~ ${j}`);
});

test('a bad rule is refused with a reason', () => {
  const bad: Array<[unknown, RegExp]> = [
    [null, /must be an object/],
    [{}, /needs an effect/],
    [{ status: 'OTHER_ERROR', error: 'OVER_QUOTA' }, /exclude each other/],
    [{ status: 'NO_ERROR' }, /"status" must be one of/],
    [{ status: 'OTHER_ERROR', call: 'send_invite' }, /send_message only/],
    [{ error: 'FORBIDDEN' }, /"error" must be one of/],
    [{ error: 'OVER_QUOTA', call: 'delivery' }, /service calls/],
    [{ delivery: 'explode' }, /"delivery" must be one of/],
    [{ delivery: 'delay' }, /needs "delay_ms"/],
    [{ latency_ms: -1 }, /latency_ms/],
    [{ latency_ms: 1, probability: 2 }, /probability/],
    [{ latency_ms: 1, times: 0 }, /times/],
    [{ latency_ms: 1, body: '(' }, /regular expression/],
    [{ latency_ms: 1, until: 'soon' }, /ISO 8601/],
    [{ latency_ms: 1, from: '2026-01-02T00:00:00Z', until: '2026-01-01T00:00:00Z' }, /after "from"/],
    [{ latency_ms: 1, call: 'send_presents' }, /"call" must be one of/],
    [{ latency_ms: 1, colour: 'red' }, /unknown key "colour"/],
  ];
  for (const [input, why] of bad)
    assert.throws(
      () => parseFaultRule(input, 'f1', T0),
      (e: Error & { code: string }) => e.code === 'BAD_REQUEST' && why.test(e.message),
      JSON.stringify(input),
    );
});

test('derived seeds differ per stream and repeat per seed', () => {
  assert.equal(deriveSeed(42, 'a'), deriveSeed(42, 'a'));
  assert.notEqual(deriveSeed(42, 'a'), deriveSeed(42, 'b'));
  assert.notEqual(deriveSeed(42, 'a'), deriveSeed(43, 'a'));
  const r = seededRandom(5);
  const xs = Array.from({ length: 1000 }, r);
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  assert.ok(Math.abs(xs.reduce((a, b) => a + b) / 1000 - 0.5) < 0.05);
});
