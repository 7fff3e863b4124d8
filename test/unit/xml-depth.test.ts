import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_XML_DEPTH, xmlDocumentError, xmlFragmentError } from '../../src/domain/xml.js';

const nested = (n: number, name = 'a'): string => `${`<${name}>`.repeat(n)}${`</${name}>`.repeat(n)}`;

test('nesting is limited: past MAX_XML_DEPTH a document is refused at once (the parse stops there)', { timeout: 20_000 }, () => {
  assert.equal(xmlDocumentError(nested(MAX_XML_DEPTH)), null);
  assert.match(xmlDocumentError(nested(MAX_XML_DEPTH + 1))!, new RegExp(`deeper than ${MAX_XML_DEPTH}`));
  // The sizes that froze the process: 14,628 levels of raw_xml (100 KB) and a 700 KB error stanza.
  assert.match(xmlFragmentError(nested(14_628, 'b'))!, /deeper than/);
  assert.match(xmlDocumentError(`<message xmlns="jabber:client" type="error">${nested(50_000, 'x:y xmlns:x="urn:x"')}</message>`) ?? '', /deeper than/);
  // Width is not depth: many siblings and self-closing elements are fine.
  assert.equal(xmlFragmentError('<b/>'.repeat(50_000)), null);
  assert.equal(xmlFragmentError(`${'<c>'.repeat(MAX_XML_DEPTH - 2)}${'<d/>'.repeat(1000)}${'</c>'.repeat(MAX_XML_DEPTH - 2)}`), null);
});
