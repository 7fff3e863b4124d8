import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chalkFor, formatEvent } from '../../../src/console/printer.js';

test('the human console shows a refused call on one line with its call, protocol, code and reason', () => {
  const line = formatEvent(
    { type: 'rejected', call: 'send_message', protocol: 'json', code: 'NO_BODY', message: 'body is missing', request: { jids: 'a@b.c' }, seq: 1, time: '' },
    chalkFor(false),
  );
  assert.equal(line, '✗ refused send_message (json): NO_BODY body is missing');
});
