import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { ErrorCode } from '../../../src/domain/errors.js';
import { validateGetPresence, validateSendInvite, validateSendMessage, validateSendPresence } from '../../../src/domain/validate.js';

type Case = [string, () => unknown, ErrorCode, RegExp];

const big = 'x'.repeat(100 * 1024 + 1);
const CASES: Case[] = [
  ['send_message: body not an object', () => validateSendMessage([1]), 'BAD_REQUEST', /JSON object/],
  ['send_message: unknown field', () => validateSendMessage({ jids: 'a@b.c', body: 'x', message_typ: 'chat' }), 'BAD_REQUEST', /unknown field "message_typ"/],
  ['send_message: jids missing', () => validateSendMessage({ body: 'x' }), 'INVALID_JID', /jids is missing/],
  ['send_message: jids empty list', () => validateSendMessage({ jids: [], body: 'x' }), 'INVALID_JID', /empty list/],
  ['send_message: jids empty string', () => validateSendMessage({ jids: '', body: 'x' }), 'INVALID_JID', /jids is empty/],
  ['send_message: an empty entry', () => validateSendMessage({ jids: ['a@b.c', ''], body: 'x' }), 'INVALID_JID', /jids\[1\] is empty/],
  ['send_message: jids a number', () => validateSendMessage({ jids: 5, body: 'x' }), 'BAD_REQUEST', /jids must be a JID string or a list/],
  ['send_message: a non-string entry', () => validateSendMessage({ jids: ['a@b.c', 7], body: 'x' }), 'BAD_REQUEST', /jids\[1\] must be a string/],
  ['send_message: body missing', () => validateSendMessage({ jids: 'a@b.c' }), 'NO_BODY', /body is missing/],
  ['send_message: body empty', () => validateSendMessage({ jids: 'a@b.c', body: '' }), 'NO_BODY', /body is empty/],
  ['send_message: body a list', () => validateSendMessage({ jids: 'a@b.c', body: ['x'] }), 'BAD_REQUEST', /body must be a string, not a list/],
  ['send_message: unknown type', () => validateSendMessage({ jids: 'a@b.c', body: 'x', message_type: 'shout' }), 'INVALID_TYPE', /message_type "shout"/],
  [
    'send_message: raw_xml not boolean',
    () => validateSendMessage({ jids: 'a@b.c', body: 'x', raw_xml: 'yes' }),
    'BAD_REQUEST',
    /raw_xml must be true or false/,
  ],
  ['send_message: raw xml not well-formed', () => validateSendMessage({ jids: 'a@b.c', body: '<a><b></a>', raw_xml: true }), 'INVALID_XML', /not well-formed/],
  ['send_message: control character', () => validateSendMessage({ jids: 'a@b.c', body: 'a\u0001b' }), 'INVALID_XML', /U\+0001/],
  ['send_message: over 100 KB', () => validateSendMessage({ jids: 'a@b.c', body: big }), 'EXCEEDED_MAX_SIZE', /102401 bytes; a message may be at most 102400/],
  [
    'send_message: call over 1 MB',
    () => validateSendMessage({ jids: Array.from({ length: 12 }, (_, i) => `${'u'.repeat(90_000)}${i}@b.c`), body: 'x' }),
    'EXCEEDED_MAX_SIZE',
    /at most 1048576 bytes/,
  ],
  ['send_invite: jid missing', () => validateSendInvite({}), 'INVALID_JID', /jid is missing/],
  ['send_invite: jid invalid', () => validateSendInvite({ jid: 'nobody' }), 'INVALID_JID', /jid "nobody" is not a valid JID/],
  ['send_invite: jid a list', () => validateSendInvite({ jid: ['a@b.c'] }), 'BAD_REQUEST', /jid must be a JID string/],
  ['get_presence: jid empty list', () => validateGetPresence({ jid: [] }), 'INVALID_JID', /empty list/],
  ['send_presence: bad type', () => validateSendPresence({ jid: 'a@b.c', presence_type: 'busy' }), 'INVALID_TYPE', /presence_type "busy"/],
  ['send_presence: bad show', () => validateSendPresence({ jid: 'a@b.c', presence_show: 'sleeping' }), 'INVALID_SHOW', /presence_show "sleeping"/],
  ['send_presence: status too long', () => validateSendPresence({ jid: 'a@b.c', status: 's'.repeat(1025) }), 'INVALID_STATUS', /1025 characters; at most 1024/],
];

test('each bad request gets its code and a message naming the field', () => {
  for (const [name, call, code, message] of CASES) {
    assert.throws(
      call,
      (e: { code?: string; message: string }) => {
        assert.equal(e.code, code, name);
        assert.match(e.message, message, name);
        return true;
      },
      name,
    );
  }
});

test('good requests are normalised with the original defaults', () => {
  assert.deepEqual(validateSendMessage({ jids: 'a@b.c', body: 'hi' }), {
    jids: ['a@b.c'],
    single: true,
    body: 'hi',
    fromJid: undefined,
    messageType: 'chat',
    rawXml: false,
    bodyBytes: 2,
  });
  const list = validateSendMessage({ jids: ['a@b.c', 'bad'], body: '<x/>', raw_xml: true, message_type: '' });
  assert.equal(list.single, false);
  assert.equal(list.messageType, '');
  // 1024 characters (not bytes) is allowed: the limit counts characters.
  assert.equal(validateSendPresence({ jid: 'a@b.c', status: 'é'.repeat(1024), presence_show: 'dnd' }).status!.length, 1024);
  assert.equal(validateSendMessage({ jids: 'a@b.c', body: 'x'.repeat(100 * 1024) }).body.length, 102400);
});

test('a body its caller read as plain ASCII validates to the same request, sizes included (property)', () => {
  const unit = fc.constantFrom(...Array.from({ length: 0x60 }, (_, i) => String.fromCharCode(0x20 + i)));
  fc.assert(
    fc.property(
      fc.oneof(fc.string({ unit, minLength: 1, maxLength: 40 }), fc.string({ unit, minLength: 3000, maxLength: 5000 })),
      fc.boolean(),
      fc.constantFrom(undefined, 'chat', 'groupchat'),
      (body, rawXml, type) => {
        const input = { jids: ['a@b.c', 'bad'], body, ...(rawXml ? { raw_xml: true } : {}), ...(type ? { message_type: type } : {}) };
        const outcome = (ascii: boolean): unknown => {
          try {
            return validateSendMessage(input, ascii);
          } catch (e) {
            return { error: (e as Error).message };
          }
        };
        assert.deepEqual(outcome(true), outcome(false));
      },
    ),
    { numRuns: 300 },
  );
  assert.equal(validateSendMessage({ jids: 'a@b.c', body: 'x'.repeat(5000) }, true).bodyBytes, 5000);
  assert.throws(() => validateSendMessage({ jids: 'a@b.c', body: 'x'.repeat(100 * 1024 + 1) }, true), /102401 bytes/);
});
