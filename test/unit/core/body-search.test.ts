// `contains` and `matches` over a body kept as bytes (off the V8 heap) answer exactly what they answer over the same
// body as a plain string: `contains` searches the bytes (a needle with a character above U+007F is in no kept body,
// even one whose latin1 byte is there: "š" is 0x61 "a" in latin1), and a pattern decodes a kept body at most once
// however many pending waits test a new entry.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bodyBytesOf, keepBodyOffHeap, OFF_HEAP_BODY } from '../../../src/core/body-bytes.js';
import type { OutboxEntry } from '../../../src/core/events.js';
import { compileFilter, Outbox, type OutboxFilter } from '../../../src/core/outbox.js';
import { compilePattern } from '../../../src/domain/pattern.js';

const entry = (body: string): OutboxEntry => ({
  id: 1,
  time: '',
  kind: 'message',
  from: 'app@appspot.com/bot',
  to: ['alice@example.com'],
  body,
  version: null,
  protocol: 'json',
  in_reply_to: null,
});

// Plain ASCII (U+0020-U+007F, what the service API keeps off the heap), DEL included, either side of the bound.
const unit = 'Gift <b>"#1"</b> & a\\b sent; ~tilde\x7f ';
const bodyOf = (length: number): string => unit.repeat(Math.ceil(length / unit.length)).slice(0, length - 5) + 'ENDzz';

const needles = (body: string): string[] => [
  '',
  body[0]!,
  body.slice(0, 40),
  body.slice(-1),
  body.slice(-5),
  'ENDzz',
  'ENDzz ',
  body.slice(1000, 1100),
  body,
  body + ' ',
  ' ' + body,
  'gift',
  'Gift <b>',
  '\x7f',
  '~tilde\x7f ',
  'zzz-not-there',
  '\x00',
  '\n',
  // Not ASCII: none is in an ASCII body, though each one's latin1 bytes are (š = 0x61 "a", ſ = 0x7f, Ġ = 0x20).
  'š',
  'ſ',
  'Ġ',
  'Gift <b>"#1"</bĠ',
  'é',
  '\u0080',
  '\u00ff',
  '😀',
  '\ud83d',
  'a\u0161',
];

const patterns = [
  compilePattern('ENDzz$'),
  compilePattern('^Gift'),
  compilePattern('^gift', 'i'),
  compilePattern('tilde\\x7f'),
  compilePattern('š'),
  compilePattern('[^\\x00-\\x7f]'),
  compilePattern('^[ -\\x7f]*$'),
  compilePattern('sent;.*ENDzz'),
  compilePattern('nothing here'),
];

for (const length of [OFF_HEAP_BODY - 1, OFF_HEAP_BODY, OFF_HEAP_BODY + 1, 50_000]) {
  test(`contains and matches over a ${length}-character body kept as bytes equal the plain string's answers`, () => {
    const body = bodyOf(length);
    assert.equal(body.length, length);
    const plain = entry(body);
    const kept = keepBodyOffHeap(entry(body));
    assert.ok(bodyBytesOf(kept), 'the body is kept as bytes');
    let found = 0;
    for (const contains of needles(body)) {
      const want = body.includes(contains);
      found += want ? 1 : 0;
      assert.equal(compileFilter({ contains })(kept), want, `contains ${JSON.stringify(contains.slice(0, 30))}`);
      assert.equal(compileFilter({ contains })(plain), want);
    }
    assert.ok(found >= 10 && found < needles(body).length, 'some needles are found and some are not');
    for (const matches of patterns) {
      const want = matches.test(body);
      assert.equal(compileFilter({ matches })(kept), want, `matches /${matches.source}/`);
      assert.equal(compileFilter({ matches })(plain), want);
      assert.equal(compileFilter({ contains: 'ENDzz', matches })(kept), want);
    }
    // The kept entry's bytes are read, never its body string, by a `contains` test.
    const bytes = bodyBytesOf(kept)!;
    let decoded = 0;
    const toString = bytes.toString.bind(bytes);
    bytes.toString = ((...args: Parameters<Buffer['toString']>) => (decoded++, toString(...args))) as Buffer['toString'];
    for (const contains of needles(body)) compileFilter({ contains })(kept);
    assert.equal(decoded, 0, 'contains decodes no kept body');
  });
}

test('a body assigned to a kept entry is searched as the string it now is', () => {
  const kept = keepBodyOffHeap(entry(bodyOf(OFF_HEAP_BODY)));
  kept.body = 'now with é and š';
  assert.equal(compileFilter({ contains: 'š' })(kept), true);
  assert.equal(compileFilter({ contains: 'ENDzz' })(kept), false);
  assert.equal(compileFilter({ matches: compilePattern('é') })(kept), true);
});

test('a new kept entry is decoded once for all the patterns waiting, and not at all for waiting `contains`', async () => {
  const o = new Outbox({ cap: 100, maxBytes: Infinity });
  const ac = new AbortController();
  const filters: OutboxFilter[] = [];
  for (let i = 0; i < 50; i++) filters.push({ matches: compilePattern(`never-${i}`) }, { contains: `never-${i}` });
  const pending = filters.map((f) => o.wait(f, 60_000, ac.signal));
  const found = o.wait({ matches: compilePattern('ENDzz$') }, 60_000, ac.signal);
  const alsoFound = o.wait({ contains: 'ENDzz' }, 60_000, ac.signal);
  const kept = keepBodyOffHeap({ ...entry(bodyOf(50_000)), id: o.nextEntryId });
  const bytes = bodyBytesOf(kept)!;
  let decoded = 0;
  const toString = bytes.toString.bind(bytes);
  bytes.toString = ((...args: Parameters<Buffer['toString']>) => (decoded++, toString(...args))) as Buffer['toString'];
  o.insert(kept);
  assert.equal(decoded, 1, '51 patterns tested the entry with one decoded string');
  assert.equal(await found, kept);
  assert.equal(await alsoFound, kept);
  // Each query of the stored entries decodes it once more, not once per test.
  assert.equal((await o.collect({ matches: compilePattern('ENDzz$') })).length, 1);
  assert.equal(decoded, 2);
  assert.equal((await o.collect({ contains: 'never' })).length, 0);
  assert.equal(decoded, 2);
  ac.abort();
  assert.deepEqual(
    await Promise.all(pending),
    filters.map(() => null),
  );
});
