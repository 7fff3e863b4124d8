import assert from 'node:assert/strict';
import { test } from 'node:test';
import { complete } from '../../../src/console/repl.js';

test('tab completion: commands after a dot, known JIDs after a JID command', () => {
  const jids = ['alice@example.com', 'albert@example.com', 'bob@example.com'];
  assert.deepEqual(complete('.pr', jids), [['.presence'], '.pr']);
  assert.deepEqual(complete('.from al', jids), [['albert@example.com', 'alice@example.com'], 'al']);
  assert.deepEqual(complete('.to b', jids), [['bob@example.com'], 'b']);
  assert.deepEqual(complete('.inject s', jids), [['subscription'], 's']);
  assert.deepEqual(complete('hello', jids), [[], 'hello']);
});
