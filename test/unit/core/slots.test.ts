import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Slots } from '../../../src/core/slots.js';

/** A task that runs until its release() is called, noting when it starts. */
function gate(started: number[], i: number): { task: () => Promise<number>; release: () => void; fail: (e: Error) => void } {
  let release!: () => void;
  let fail!: (e: Error) => void;
  const done = new Promise<number>((resolve, reject) => {
    release = () => resolve(i);
    fail = reject;
  });
  return {
    task: () => {
      started.push(i);
      return done;
    },
    release,
    fail,
  };
}

test('a task that finds a slot free starts in the caller turn; at most `max` run at once, the rest start in order', async () => {
  const slots = new Slots(2);
  const started: number[] = [];
  const gates = Array.from({ length: 5 }, (_, i) => gate(started, i));
  const results = gates.map((g) => slots.run(g.task));
  assert.deepEqual(started, [0, 1], 'the first two start at once, before any await');
  assert.equal(slots.activeCount, 2);
  assert.equal(slots.pendingCount, 3);
  gates[1]!.release();
  await results[1];
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1, 2]);
  gates[0]!.fail(new Error('the app hung up'));
  await assert.rejects(results[0]!, /hung up/);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1, 2, 3], 'a failed task passes its slot on too');
  for (const g of gates.slice(2)) g.release();
  assert.deepEqual(await Promise.all(results.slice(1)), [1, 2, 3, 4]);
  assert.deepEqual(started, [0, 1, 2, 3, 4]);
  assert.equal(slots.activeCount, 0);
  assert.equal(slots.pendingCount, 0);
});

test('a task that throws at once rejects its promise and frees its slot', async () => {
  const slots = new Slots(1);
  await assert.rejects(
    slots.run(() => {
      throw new Error('bad plan');
    }),
    /bad plan/,
  );
  assert.equal(await slots.run(async () => 7), 7);
  assert.equal(slots.activeCount, 0);
});

test('thousands waiting: each starts once, in order, never more than max at a time', async () => {
  const slots = new Slots(32);
  let running = 0;
  let most = 0;
  const order: number[] = [];
  await Promise.all(
    Array.from({ length: 5000 }, (_, i) =>
      slots.run(async () => {
        running++;
        most = Math.max(most, running);
        order.push(i);
        await new Promise((r) => setImmediate(r));
        running--;
      }),
    ),
  );
  assert.equal(most, 32);
  assert.deepEqual(
    order,
    Array.from({ length: 5000 }, (_, i) => i),
  );
});
