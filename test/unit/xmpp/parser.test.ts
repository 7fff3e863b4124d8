import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_XML_DEPTH } from '../../../src/domain/xml.js';
import { serialize, type Element } from '../../../src/xmpp/element.js';
import { readFrame, StreamReader, type XmlSink } from '../../../src/xmpp/parser.js';

/** A sink that records what the reader reports, as short strings. */
function recorder(): XmlSink & { seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    onOpen: (a) => seen.push(`open to=${a.to ?? ''}`),
    onClose: () => seen.push('close'),
    onElement: (el: Element) => seen.push(serialize(el)),
    onBadXml: (condition) => seen.push(`error ${condition}`),
  };
}

test('RFC 7395 frames: one standalone element each, or a stream error condition', () => {
  const cases: Array<[string, string]> = [
    ['<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="example.com" version="1.0"/>', 'open to=example.com'],
    ['<close xmlns="urn:ietf:params:xml:ns:xmpp-framing"/>', 'close'],
    [
      '<message xmlns="jabber:client" to="a@b.c"><body>x &amp; y</body></message>',
      '<message xmlns="jabber:client" to="a@b.c"><body>x &amp; y</body></message>',
    ],
    [
      '<iq xmlns="jabber:client" type="get" id="1"><ping xmlns="urn:xmpp:ping"/></iq>',
      '<iq xmlns="jabber:client" type="get" id="1"><ping xmlns="urn:xmpp:ping"/></iq>',
    ],
    [' <message xmlns="jabber:client"/>', 'error not-well-formed'],
    ['', 'error not-well-formed'],
    ['<a/><b/>', 'error not-well-formed'],
    ['<message xmlns="jabber:client"><body>unclosed</message>', 'error not-well-formed'],
    ['<message xmlns="jabber:client"><body>&#1;</body></message>', 'error not-well-formed'],
    ['<message xmlns="jabber:client"><body>&nbsp;</body></message>', 'error not-well-formed'],
    ['<x:message xmlns="jabber:client"/>', 'error not-well-formed'],
    ['<!-- c --><message xmlns="jabber:client"/>', 'error restricted-xml'],
    ['<?pi x?><message xmlns="jabber:client"/>', 'error restricted-xml'],
    ['<!DOCTYPE m><message xmlns="jabber:client"/>', 'error restricted-xml'],
  ];
  for (const [frame, want] of cases) {
    const r = recorder();
    readFrame(frame, r);
    assert.deepEqual(r.seen, [want], JSON.stringify(frame));
  }
});

test('a TCP stream: header, stanzas (whitespace keepalives ignored), footer; chunks split anywhere, even inside a character', () => {
  const r = recorder();
  const reader = new StreamReader(r, 1024);
  const text =
    `<?xml version='1.0'?><stream:stream xmlns="jabber:client" xmlns:stream="http://etherx.jabber.org/streams" to="example.com" version="1.0">` +
    ` <message to="a@b.c"><body>héllo 🎉</body></message>\n <presence/></stream:stream>`;
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += 7) reader.write(bytes.subarray(i, i + 7));
  assert.deepEqual(r.seen, [
    'open to=example.com',
    '<message xmlns="jabber:client" to="a@b.c"><body>héllo 🎉</body></message>',
    '<presence xmlns="jabber:client"/>',
    'close',
  ]);
});

test('a TCP stream: a stanza over the limit, text between stanzas and a foreign root are refused once', () => {
  const header = `<stream:stream xmlns="jabber:client" xmlns:stream="http://etherx.jabber.org/streams" to="x.y" version="1.0">`;
  const cases: Array<[string, string]> = [
    [`${header}<message><body>${'a'.repeat(2000)}</body></message>`, 'error policy-violation'],
    [`${header}hello<presence/>`, 'error bad-format'],
    ['<root xmlns="jabber:client"/>', 'error invalid-namespace'],
  ];
  for (const [text, want] of cases) {
    const r = recorder();
    const reader = new StreamReader(r, 1024);
    reader.write(Buffer.from(text));
    reader.write(Buffer.from('<more/>'));
    assert.equal(r.seen.filter((s) => s.startsWith('error')).length, 1, text.slice(0, 60));
    assert.equal(r.seen.at(-1), want);
  }
});

test("a stanza nested past raw_xml's MAX_XML_DEPTH is refused (policy-violation) and the parse stops there, in a frame and on a stream", () => {
  const stanza = (levels: number): string => `<message xmlns="jabber:client">${'<x>'.repeat(levels - 1)}${'</x>'.repeat(levels - 1)}</message>`;
  const header = `<stream:stream xmlns="jabber:client" xmlns:stream="http://etherx.jabber.org/streams" to="example.com" version="1.0">`;
  const onStream = (xml: string): string[] => {
    const sink = recorder();
    const reader = new StreamReader(sink, 1 << 20);
    reader.write(Buffer.from(header + xml));
    return sink.seen.slice(1);
  };
  const inFrame = (xml: string): string[] => {
    const sink = recorder();
    readFrame(xml, sink);
    return sink.seen;
  };
  for (const read of [onStream, inFrame]) {
    assert.deepEqual(read(stanza(MAX_XML_DEPTH)), [stanza(MAX_XML_DEPTH).replace(/<x><\/x>/, '<x/>')]);
    assert.deepEqual(read(stanza(MAX_XML_DEPTH + 1)), ['error policy-violation']);
    // The reviewer's input: 30,000 levels (210 KB, under the stanza size limit) are refused once, at level 101.
    assert.deepEqual(read(stanza(30_000)), ['error policy-violation']);
  }
});

test('restart: a new stream header is read after STARTTLS or SASL success', () => {
  const r = recorder();
  const reader = new StreamReader(r, 1024);
  const header = `<stream:stream xmlns="jabber:client" xmlns:stream="http://etherx.jabber.org/streams" to="example.com" version="1.0">`;
  reader.write(Buffer.from(`${header}<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"/>`));
  reader.restart();
  reader.write(Buffer.from(`<?xml version='1.0'?>${header}<presence/>`));
  assert.deepEqual(r.seen, [
    'open to=example.com',
    '<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"/>',
    'open to=example.com',
    '<presence xmlns="jabber:client"/>',
  ]);
});

test('serialize keeps unknown children and declares namespaces where they change', () => {
  const r = recorder();
  readFrame('<message xmlns="jabber:client" xmlns:x="urn:x" x:a="1" xml:lang="en"><body>hi</body><origin-id xmlns="urn:xmpp:sid:0" id="o1"/></message>', r);
  assert.deepEqual(r.seen, [
    '<message xmlns="jabber:client" xmlns:x="urn:x" x:a="1" xml:lang="en"><body>hi</body><origin-id xmlns="urn:xmpp:sid:0" id="o1"/></message>',
  ]);
});
