import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closest, editDistance } from '../../../src/domain/suggest.js';

test('edit distance counts insertions, deletions and substitutions', () => {
  for (const [a, b, d] of [
    ['', '', 0],
    ['abc', 'abc', 0],
    ['abc', 'ab', 1],
    ['ab', 'abc', 1],
    ['abc', 'axc', 1],
    ['kitten', 'sitting', 3],
  ] as const) {
    assert.equal(editDistance(a, b), d, `${a} → ${b}`);
  }
});

test('closest suggests a near candidate and nothing for a far one', () => {
  const app = ['dev-app@appspot.com', 'bot@dev-app.appspotchat.com'];
  assert.equal(closest('dev-ap@appspot.com', app), 'dev-app@appspot.com');
  assert.equal(closest('bot@dev-app.apspotchat.com', app), 'bot@dev-app.appspotchat.com');
  assert.equal(closest('someone@example.com', app), null);
  assert.equal(closest('strat', ['start', 'send', 'run']), 'start');
});
