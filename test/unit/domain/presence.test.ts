import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PresenceBook, parsePresenceFixture } from '../../../src/domain/presence.js';
import { presenceFromWord } from '../../../src/domain/vocabulary.js';

test('default presence words', () => {
  assert.deepEqual(presenceFromWord('available'), { available: true, show: '', status: '' });
  assert.deepEqual(presenceFromWord('away'), { available: true, show: 'away', status: '' });
  assert.deepEqual(presenceFromWord('unavailable'), { available: false, show: '', status: '' });
  assert.equal(presenceFromWord('asleep'), null);
});

test('a presence fixture sets JIDs, default and subscriptions; resources share the bare JID', () => {
  const book = new PresenceBook(presenceFromWord('available')!, false);
  book.applyFixture(
    parsePresenceFixture(
      JSON.stringify({
        default: 'unavailable',
        subscribed: ['alice@example.com'],
        jids: { 'alice@example.com': 'away', 'bob@example.com': { available: true, show: 'dnd', status: 'busy' } },
      }),
    ),
  );
  assert.deepEqual(book.lookup('alice@example.com/phone'), { available: true, show: 'away', status: '' });
  assert.deepEqual(book.lookup('Bob@Example.com'), { available: true, show: 'dnd', status: 'busy' });
  assert.equal(book.lookup('carol@example.com').available, false);
  assert.equal(book.isSubscribed('alice@example.com'), true);
  book.set('carol@example.com', presenceFromWord('chat')!);
  assert.equal(book.lookup('carol@example.com').show, 'chat');
});

test('strict mode reports only subscribed JIDs', () => {
  const book = new PresenceBook(presenceFromWord('available')!, true);
  assert.equal(book.lookup('alice@example.com').available, false);
  book.markInvited('alice@example.com');
  assert.equal(book.lookup('alice@example.com').available, false, 'an invitation alone does not subscribe');
  book.setSubscribed('alice@example.com', true);
  assert.equal(book.lookup('alice@example.com').available, true);
  assert.deepEqual(
    book.list().jids.map((j) => [j.jid, j.subscribed, j.invited]),
    [['alice@example.com', true, true]],
  );
});

test('broken fixtures are refused with the reason', () => {
  const table: Array<[string, RegExp]> = [
    ['{', /not valid JSON/],
    ['[]', /JSON object/],
    ['{"jid": {}}', /unknown key "jid"/],
    ['{"default": "sleepy"}', /"default" must be one of/],
    ['{"subscribed": "a@b.c"}', /"subscribed" must be a list/],
    ['{"subscribed": ["nope"]}', /subscribed\[0\] is not a valid JID/],
    ['{"jids": {"a@b.c": "snoozing"}}', /"snoozing" is not one of/],
    ['{"jids": {"a@b.c": {"show": "zzz"}}}', /show must be one of/],
    ['{"jids": {"a@b.c": {"mood": "happy"}}}', /unknown field "mood"/],
  ];
  for (const [text, why] of table) assert.throws(() => parsePresenceFixture(text), why, text);
});
