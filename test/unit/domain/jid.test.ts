import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bareJid, parseJid } from '../../../src/domain/jid.js';

const VALID: Array<[string, string, string, string | null]> = [
  ['alice@example.com', 'alice', 'example.com', null],
  ['alice@example.com/phone', 'alice', 'example.com', 'phone'],
  ['my-app@appspot.com/bot', 'my-app', 'appspot.com', 'bot'],
  ['x@Example.COM', 'x', 'example.com', null],
  ['josé@exämple.com/ünï cødé', 'josé', 'exämple.com', 'ünï cødé'],
  ['a@b', 'a', 'b', null],
  ['a.b_c+d@sub.example.org/res with space', 'a.b_c+d', 'sub.example.org', 'res with space'],
];

const INVALID: Array<[unknown, RegExp]> = [
  ['', /empty/],
  ['alice', /no @/],
  ['a@b@c', /more than one @/],
  ['@example.com', /empty node/],
  ['alice@', /empty domain/],
  ['alice@example.com/', /empty resource/],
  ['alice@example.com/a/b', /more than one \//],
  ['al,ice@example.com', /, ; \( \) \[ \]/],
  ['alice@exa;mple.com', /, ; \( \) \[ \]/],
  ['alice(x)@example.com', /, ; \( \) \[ \]/],
  ['a[b]@example.com', /, ; \( \) \[ \]/],
  ['al ice@example.com', /RFC 7622/],
  ['al"ice@example.com', /RFC 7622/],
  ['al&ice@example.com', /RFC 7622/],
  ["al'ice@example.com", /RFC 7622/],
  ['al:ice@example.com', /RFC 7622/],
  ['al<ice@example.com', /RFC 7622/],
  ['al>ice@example.com', /RFC 7622/],
  ['a/b@example.com', /@ must come before/],
  ['alice@exa mple.com', /not a valid domain/],
  ['alice@example..com', /empty label/],
  ['ali\u0000ce@example.com', /control character/],
  ['alice@example.com/\u0007', /control character/],
  [`${'n'.repeat(1024)}@example.com`, /node is longer than 1023 bytes/],
  [`alice@${'d'.repeat(1024)}`, /domain is longer than 1023 bytes/],
  [`alice@example.com/${'é'.repeat(512)}`, /resource is longer than 1023 bytes/],
  [`${'x'.repeat(5000)}@example.com`, /longer than 3071 bytes/],
  [42, /must be a string/],
  [null, /must be a string/],
];

test('valid JIDs parse into node, domain and resource', () => {
  for (const [input, node, domain, resource] of VALID) {
    const r = parseJid(input);
    assert.ok(r.ok, `${input} should be valid: ${!r.ok && r.reason}`);
    assert.deepEqual(r.jid, { node, domain, resource }, input);
  }
});

test('invalid JIDs are refused with a reason naming the rule', () => {
  for (const [input, reason] of INVALID) {
    const r = parseJid(input);
    assert.equal(r.ok, false, `${String(input).slice(0, 40)} should be invalid`);
    assert.match((r as { reason: string }).reason, reason, String(input).slice(0, 40));
  }
});

test('bareJid drops the resource and lower-cases the domain', () => {
  assert.equal(bareJid('Alice@Example.com/phone'), 'Alice@example.com');
  assert.equal(bareJid('not a jid'), 'not a jid');
});
