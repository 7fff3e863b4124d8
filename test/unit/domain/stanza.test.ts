import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DOMParser } from '@xmldom/xmldom';
import fc from 'fast-check';
import { XmppError } from '../../../src/domain/errors.js';
import { parseJid } from '../../../src/domain/jid.js';
import { errorStanza, messageStanza, messageStanzaBytes, presenceStanza } from '../../../src/domain/stanza.js';
import { validateSendMessage } from '../../../src/domain/validate.js';
import { xmlDocumentError } from '../../../src/domain/xml.js';

/** Parse with a namespace-aware DOM parser that fails on any error (its warnings, e.g. for U+FFFD, are not errors). */
function parse(xml: string) {
  const errors: string[] = [];
  const doc = new DOMParser({ onError: (level, msg) => void (level !== 'warning' && errors.push(`${level}: ${msg}`)) }).parseFromString(xml, 'text/xml');
  assert.deepEqual(errors, [], xml);
  return doc.documentElement!;
}

test('the message stanza matches the documented example', () => {
  assert.equal(
    messageStanza({ from: 'alice@example.com/phone', to: 'my-app@appspot.com', type: 'chat', body: 'hi & bye' }),
    '<message xmlns="jabber:client" from="alice@example.com/phone" to="my-app@appspot.com" type="chat"><body>hi &amp; bye</body></message>',
  );
  // No type attribute for the untyped message.
  assert.equal(messageStanza({ from: 'a@b', to: 'c@d', type: '', body: 'x' }), '<message xmlns="jabber:client" from="a@b" to="c@d"><body>x</body></message>');
});

test('a stanza reads back, in the jabber:client namespace, to the same body, for markup and non-ASCII text', () => {
  for (const body of [
    `< > & " '`,
    'ünïcödé ✓ 日本語 🎉',
    'next\u0085line\u2028sep\u2029para \ufffd \ufeff',
    ']]> <![CDATA[ x',
    'line1\r\nline2\ttab',
    '&amp; already escaped',
  ]) {
    const el = parse(messageStanza({ from: 'a@b.c/r', to: 'app@appspot.com', type: 'chat', body }));
    assert.equal(el.namespaceURI, 'jabber:client');
    assert.equal(el.localName, 'message');
    assert.equal(el.getElementsByTagName('body')[0]!.textContent, body);
  }
});

test('the prefixed form the dev server sent and our default-namespace form parse to the same element', () => {
  const ours = parse(messageStanza({ from: 'a@b.c', to: 'app@appspot.com', type: 'chat', body: 'hi' }));
  const theirs = parse('<cli:message xmlns:cli="jabber:client" from="a@b.c" to="app@appspot.com" type="chat"><cli:body>hi</cli:body></cli:message>');
  for (const el of [ours, theirs]) {
    assert.equal(el.namespaceURI, 'jabber:client');
    assert.equal(el.localName, 'message');
    assert.equal(el.getAttribute('type'), 'chat');
    assert.equal(el.getElementsByTagNameNS('jabber:client', 'body')[0]!.textContent, 'hi');
  }
});

test('presence, subscription and error stanzas are well-formed', () => {
  const p = parse(presenceStanza({ from: 'a@b.c', to: 'app@appspot.com', type: '', show: 'away', status: 'at <lunch> & out' }));
  assert.equal(p.hasAttribute('type'), false, 'available presence has no type attribute');
  assert.equal(p.getElementsByTagName('status')[0]!.textContent, 'at <lunch> & out');
  assert.equal(presenceStanza({ from: 'a@b.c', to: 'x@y', type: 'subscribe' }), '<presence xmlns="jabber:client" from="a@b.c" to="x@y" type="subscribe"/>');
  const e = parse(errorStanza('a@b.c', 'app@appspot.com'));
  assert.equal(e.getAttribute('type'), 'error');
  assert.equal(xmlDocumentError(errorStanza('a@b.c', 'x@y', '<oops>')), null);
});

test('property: any JID is refused with a reason or accepted, and any body is refused with a code or reads back intact', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 200 }), (jid, body) => {
      const j = parseJid(jid);
      if (!j.ok) assert.ok(j.reason.length > 0);
      const to = j.ok ? jid : 'alice@example.com';
      try {
        validateSendMessage({ jids: to, body });
      } catch (e) {
        assert.ok(e instanceof XmppError, String(e));
        assert.ok(['NO_BODY', 'INVALID_XML', 'INVALID_JID'].includes(e.code), e.code);
        return;
      }
      const el = parse(messageStanza({ from: 'app@appspot.com/bot', to, type: 'chat', body }));
      assert.equal(el.getElementsByTagName('body')[0]!.textContent, body);
      assert.equal(el.getAttribute('to'), to);
    }),
    { numRuns: 2000 },
  );
});

test('property: raw_xml bodies are accepted only when a real parser reads them', () => {
  const fragments = fc.oneof(
    fc.constantFrom(
      '<body>hi</body>',
      '<x xmlns="urn:y"><y/></x>',
      '<a>',
      '</message><message>',
      '<a></b>',
      '&bogus;',
      '<!DOCTYPE x>',
      'plain',
      '<?xml version="1.0"?><a/>',
    ),
    fc.string({ maxLength: 40 }),
  );
  fc.assert(
    fc.property(fragments, (frag) => {
      let accepted = true;
      try {
        validateSendMessage({ jids: 'a@b.c', body: frag, raw_xml: true });
      } catch (e) {
        assert.ok(e instanceof XmppError && (e.code === 'INVALID_XML' || e.code === 'NO_BODY'));
        accepted = false;
      }
      if (accepted) parse(messageStanza({ from: 'a@b.c', to: 'd@e.f', type: 'chat', body: frag, rawXml: true }));
    }),
    { numRuns: 1000 },
  );
});

test('messageStanzaBytes counts exactly the bytes of the stanza it does not build (property)', () => {
  const unit = fc.constantFrom('a', 'Z', ' ', '&', '<', '>', '"', "'", '\r', '\n', '\t', '\u0085', '\u2028', '\u2029', 'é', '€', '😀', '\ud800');
  const text = fc.oneof(fc.string({ unit, maxLength: 40 }), fc.string({ unit, minLength: 3000, maxLength: 5000 }));
  fc.assert(
    fc.property(
      text,
      fc.constantFrom('a@b.c', 'bob@example.com/ré&s', 'x@y.z/"q"'),
      fc.constantFrom('', 'chat', 'normal'),
      fc.boolean(),
      (body, to, type, rawXml) => {
        const m = { from: 'dev-app@appspot.com/bot', to, type, body, rawXml };
        assert.equal(messageStanzaBytes(m), Buffer.byteLength(messageStanza(m), 'utf8'));
        assert.equal(messageStanzaBytes(m, Buffer.byteLength(body, 'utf8')), Buffer.byteLength(messageStanza(m), 'utf8'));
      },
    ),
    { numRuns: 300 },
  );
});
