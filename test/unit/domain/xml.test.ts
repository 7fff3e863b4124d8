import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { escapeAttr, escapeText, firstNonXmlChar, replaceNonXmlChars, xmlDocumentError, xmlFragmentError } from '../../../src/domain/xml.js';

test('escaping: the five markup characters and \\r', () => {
  assert.equal(escapeText(`<a href="x">Tom & 'Jerry'</a>\r`), '&lt;a href=&quot;x&quot;&gt;Tom &amp; &apos;Jerry&apos;&lt;/a&gt;&#xD;');
  assert.equal(escapeAttr('a\tb\nc'), 'a&#x9;b&#xA;c');
});

test("characters XML 1.0 cannot carry are named; well-formedness is a real parser's", () => {
  const cases: Array<[string, string | null]> = [
    ['plain text', null],
    ['tab\tnewline\n', null],
    ['bell\u0007', 'U+0007'],
    ['lone \ud800 surrogate', 'U+D800'],
    ['\ufffe', 'U+FFFE'],
  ];
  for (const [text, want] of cases) assert.equal(firstNonXmlChar(text), want, JSON.stringify(text));
  assert.equal(xmlFragmentError('<b>bold</b> text'), null);
  assert.match(xmlFragmentError('<b>unclosed')!, /./);
  assert.equal(xmlDocumentError('<a/>'), null);
  assert.notEqual(xmlDocumentError('<a><b></a>'), null);
});

test('long texts take the fast check; it names the same first character as the short one (property)', () => {
  const unit = fc.constantFrom(
    'a',
    ' ',
    '\t',
    '\n',
    '\r',
    '\u0000',
    '\u0001',
    '\u001f',
    '\u007f',
    '\ud7ff',
    '\ue000',
    '\ufffd',
    '\ufffe',
    '\uffff',
    '😀',
    '\ud800',
    '\udc00',
  );
  fc.assert(
    fc.property(
      fc.string({ unit: 'grapheme-ascii', minLength: 2048, maxLength: 3000 }),
      fc.array(fc.tuple(fc.nat(3000), unit), { maxLength: 3 }),
      (base, inserts) => {
        let s = base;
        for (const [at, u] of inserts) s = s.slice(0, at) + u + s.slice(at);
        const slow = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u.exec(s);
        const expected = slow ? `U+${slow[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` : null;
        assert.equal(firstNonXmlChar(s), expected);
      },
    ),
    { numRuns: 300 },
  );
});

test('replaceNonXmlChars: what XML cannot carry becomes U+FFFD, never a character reference', () => {
  assert.equal(replaceNonXmlChars('ok \u0001 \ud800 \uffff end'), 'ok \ufffd \ufffd \ufffd end');
  assert.equal(replaceNonXmlChars('tab\tnew\nline 🎉'), 'tab\tnew\nline 🎉');
});
