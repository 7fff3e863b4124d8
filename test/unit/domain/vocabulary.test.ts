import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  inboundPresenceFromWord,
  isDeliverableMessageType,
  isOneOf,
  MESSAGE_TYPES,
  presenceFromWord,
  SEND_PRESENCE_TYPES,
  INBOUND_PRESENCE_TYPES,
} from '../../../src/domain/vocabulary.js';

test('presence words: available, unavailable, or a show value (available with it)', () => {
  const cases: Array<[string, ReturnType<typeof presenceFromWord>]> = [
    ['available', { available: true, show: '', status: '' }],
    ['unavailable', { available: false, show: '', status: '' }],
    ['away', { available: true, show: 'away', status: '' }],
    ['dnd', { available: true, show: 'dnd', status: '' }],
    ['', null],
    ['probe', null],
    ['asleep', null],
  ];
  for (const [word, want] of cases) assert.deepEqual(presenceFromWord(word), want, word);
});

test('inbound presence words: a type, or a show value (an available presence with that show)', () => {
  const cases: Array<[string, ReturnType<typeof inboundPresenceFromWord>]> = [
    ['available', { type: 'available' }],
    ['probe', { type: 'probe' }],
    ['unavailable', { type: 'unavailable' }],
    ['xa', { type: 'available', show: 'xa' }],
    ['', null],
    ['subscribe', null],
  ];
  for (const [word, want] of cases) assert.deepEqual(inboundPresenceFromWord(word), want, word);
});

test('the deliverable message types are chat, normal and untyped; every other type is still a valid type', () => {
  const deliverable = MESSAGE_TYPES.filter(isDeliverableMessageType);
  assert.deepEqual([...deliverable].sort(), ['', 'chat', 'normal']);
  assert.equal(isDeliverableMessageType('groupchat'), false);
  assert.equal(isDeliverableMessageType('weird'), false);
});

test("send_presence's types and an inbound presence's types are different lists, named differently", () => {
  assert.ok(isOneOf('', SEND_PRESENCE_TYPES));
  assert.ok(!isOneOf('available', SEND_PRESENCE_TYPES));
  assert.ok(isOneOf('available', INBOUND_PRESENCE_TYPES));
  assert.ok(!isOneOf('', INBOUND_PRESENCE_TYPES));
  assert.ok(!isOneOf(42, INBOUND_PRESENCE_TYPES));
});
