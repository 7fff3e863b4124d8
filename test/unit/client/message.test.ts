import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidMessageError, Message, parseCommand } from '../../../src/client/message.js';

test('command parsing follows the original', () => {
  const table: Array<[string, string | null, string]> = [
    ['/foo bar baz', 'foo', 'bar baz'],
    ['/foo   spaced out  ', 'foo', 'spaced out'],
    ['/foo', 'foo', ''],
    ['\\foo bar', 'foo', 'bar'],
    ['/', '', ''],
    ['hello there ', null, 'hello there'],
    ['  /notacommand', null, '/notacommand'],
    ['/foo\tbar', 'foo\tbar', ''],
  ];
  for (const [body, command, arg] of table) assert.deepEqual(parseCommand(body), { command, arg }, body);
});

test('Message needs from, to and body', () => {
  const m = new Message({ from: 'a@b.c/r', to: 'app@appspot.com', body: '/echo hi', stanza: '<message/>' });
  assert.equal(m.sender, 'a@b.c/r');
  assert.equal(m.command, 'echo');
  assert.equal(m.arg, 'hi');
  for (const missing of ['from', 'to', 'body']) {
    const fields: Record<string, string> = { from: 'a@b.c', to: 'x@y.z', body: 'b' };
    delete fields[missing];
    assert.throws(
      () => new Message(fields),
      (e: Error) => e instanceof InvalidMessageError && e.message.includes(`"${missing}"`),
    );
  }
});
