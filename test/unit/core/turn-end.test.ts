// The end of a turn: every answer of the turn, in order, none before; then what the calls set going.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { afterTurnAnswers, answerAtTurnEnd, flushTurnEnd } from '../../../src/core/turn-end.js';

test('answers queued in a turn are written at its end, in the order queued, then the follow-ups; one queued while they run goes at the end of the next', async () => {
  const done: string[] = [];
  answerAtTurnEnd(() => done.push('a'));
  // A call's loop-back is queued before its answer is (it is set going inside the call), and still starts after it.
  afterTurnAnswers(() => done.push('loop-back of b'));
  answerAtTurnEnd(() => done.push('b'));
  answerAtTurnEnd(() => {
    done.push('c');
    answerAtTurnEnd(() => done.push('late'));
  });
  afterTurnAnswers(() => done.push('bounce of c'));
  assert.deepEqual(done, [], 'nothing runs in the turn that queued it');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(done, ['a', 'b', 'c', 'loop-back of b', 'bounce of c'], 'the turn’s answers together, in order, then what they set going');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(done, ['a', 'b', 'c', 'loop-back of b', 'bounce of c', 'late']);
});

test('flushTurnEnd (shutdown) writes the queued answers and starts their follow-ups at once, in the same order; the turn end then has nothing left', async () => {
  const done: string[] = [];
  afterTurnAnswers(() => done.push('loop-back of a'));
  answerAtTurnEnd(() => done.push('a'));
  answerAtTurnEnd(() => done.push('b'));
  flushTurnEnd();
  assert.deepEqual(done, ['a', 'b', 'loop-back of a']);
  answerAtTurnEnd(() => done.push('c'));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(done, ['a', 'b', 'loop-back of a', 'c'], 'each runs once; one queued after the flush goes at the turn end');
  flushTurnEnd();
  assert.equal(done.length, 4, 'an empty queue: nothing');
});
