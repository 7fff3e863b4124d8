import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeAttr, escapeText, firstNonXmlChar, xmlDocumentError, xmlFragmentError } from '../../../src/domain/xml.js';

test('escaping: the five markup characters and \\r', () => {
  assert.equal(escapeText(`<a href="x">Tom & 'Jerry'</a>\r`), '&lt;a href=&quot;x&quot;&gt;Tom &amp; &apos;Jerry&apos;&lt;/a&gt;&#xD;');
  assert.equal(escapeAttr('a\tb\nc'), 'a&#x9;b&#xA;c');
});

test('characters XML 1.0 cannot carry are named; well-formedness is a real parser\'s', () => {
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
