import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Clock, readClockChange } from '../../../src/domain/clock.js';

test('the clock follows the machine until frozen, then moves only when advanced or set', () => {
  let machine = Date.parse('2026-01-01T00:00:00Z');
  const clock = new Clock(() => machine);
  machine += 1000;
  assert.equal(clock.iso(), '2026-01-01T00:00:01.000Z');
  clock.freeze();
  machine += 5000;
  assert.equal(clock.iso(), '2026-01-01T00:00:01.000Z');
  assert.deepEqual(clock.apply({ advance_ms: 60_000 }), { now: '2026-01-01T00:01:01.000Z', frozen: true, offset_ms: 55_000 });
  clock.apply({ set: '2026-06-01T12:00:00Z' });
  assert.equal(clock.iso(), '2026-06-01T12:00:00.000Z');
  clock.resume();
  machine += 250;
  assert.equal(clock.iso(), '2026-06-01T12:00:00.250Z');
  clock.advance(750);
  assert.equal(clock.iso(), '2026-06-01T12:00:01.000Z');
  clock.reset();
  assert.equal(clock.now(), machine);
});

test('clock changes are read strictly', () => {
  assert.deepEqual(readClockChange({ advance_ms: 5 }), { advance_ms: 5 });
  assert.deepEqual(readClockChange({ set: '2026-03-08T07:59:00Z' }), { set: '2026-03-08T07:59:00Z' });
  for (const bad of [
    null,
    [],
    {},
    { freeze: 1 },
    { advance_ms: -1 },
    { advance_ms: 1.5 },
    { set: 'tomorrow' },
    { set: '2026-13-45T00:00:00Z' },
    { freeze: true, resume: true },
    { jump: 1 },
  ]) {
    assert.throws(
      () => readClockChange(bad),
      (e: { code: string }) => e.code === 'BAD_REQUEST',
      JSON.stringify(bad),
    );
  }
});
