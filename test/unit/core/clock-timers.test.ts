import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClockTimers } from '../../../src/core/clock-timers.js';
import { Clock } from '../../../src/domain/clock.js';

test('spans end when the clock passes them, earliest first; a cancelled one never ends', () => {
  const clock = new Clock(() => 1_000_000);
  clock.freeze();
  const timers = new ClockTimers(clock);
  const ended: string[] = [];
  timers.after(3_600_000, () => ended.push('hour'));
  timers.after(60_000, () => ended.push('minute'));
  const cancel = timers.after(1_000, () => ended.push('cancelled'));
  cancel();
  clock.advance(59_999);
  timers.moved();
  assert.deepEqual(ended, []);
  clock.advance(10 * 3_600_000);
  timers.moved();
  assert.deepEqual(ended, ['minute', 'hour']);
  assert.equal(timers.size, 0, 'ended spans free their timers');
});

test('setting the clock ends what it passes; a deadline aborts its signal', () => {
  const clock = new Clock(() => 0);
  const timers = new ClockTimers(clock);
  const { signal, cancel } = timers.deadline(5_000);
  const outer = new AbortController();
  const joined = timers.deadline(9_000_000, outer.signal);
  clock.set(5_000);
  timers.moved();
  assert.equal(signal.aborted, true);
  assert.equal(joined.signal.aborted, false);
  outer.abort();
  assert.equal(joined.signal.aborted, true, 'the outer signal ends it too');
  cancel();
  joined.cancel();
  assert.equal(timers.size, 0);
});

test('on a frozen clock nobody moves, a span still ends after its length of real time', async () => {
  const clock = new Clock();
  clock.freeze();
  const timers = new ClockTimers(clock);
  await timers.sleep(5);
  assert.equal(timers.size, 0);
});
