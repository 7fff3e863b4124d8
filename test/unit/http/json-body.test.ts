// Reading a JSON request body: the value JSON.parse gives for the UTF-8 text, ASCII or not, in any chunking; bytes
// that are not UTF-8 are a coded error, never read as another encoding.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { readJsonBody } from '../../../src/http/json-body.js';

function read(
  chunks: Buffer[],
  headers: Record<string, string> = {},
): Promise<{ err: { code: string; message: string } | null; value?: unknown; asciiText?: boolean }> {
  const req = Object.assign(new PassThrough(), { headers: { 'content-type': 'application/json', ...headers } }) as unknown as IncomingMessage;
  return new Promise((resolve) => {
    readJsonBody(req, 1 << 20, (err, value, asciiText) => resolve({ err: err && { code: err.code, message: err.message }, value, asciiText }));
    for (const c of chunks) (req as unknown as PassThrough).write(c);
    (req as unknown as PassThrough).end();
  });
}

/** Every way to cut `buf` in two, and in single bytes. */
const cuts = (buf: Buffer): Buffer[][] => [
  [buf],
  ...Array.from({ length: buf.length - 1 }, (_, i) => [buf.subarray(0, i + 1), buf.subarray(i + 1)]),
  [...buf].map((b) => Buffer.from([b])),
];

test('a body reads as JSON.parse of its UTF-8 text, ASCII or not, however it is cut into chunks', async () => {
  for (const value of [
    { jids: 'alice@example.com', body: 'plain ASCII <&> "q" \\ \u0001' },
    { body: 'é ✓ 日本語 🎉 \u2028 \u0085 \ufffd' },
    { body: 'x'.repeat(3000), n: [1, 2.5, null, true] },
  ]) {
    const buf = Buffer.from(JSON.stringify(value), 'utf8');
    for (const chunks of buf.length < 200 ? cuts(buf) : [[buf], [buf.subarray(0, 7), buf.subarray(7)]]) {
      const r = await read(chunks);
      assert.equal(r.err, null);
      assert.deepEqual(r.value, JSON.parse(buf.toString('utf8')));
    }
  }
  assert.deepEqual((await read([])).value, {});
});

test('bytes that are not UTF-8 are refused, not read as latin1', async () => {
  // "é" in latin1 (0xe9), a lone continuation byte, an over-long "/", a surrogate encoded as UTF-8.
  for (const bad of [[0xe9], [0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80]]) {
    const buf = Buffer.concat([Buffer.from('{"body":"a'), Buffer.from(bad), Buffer.from('"}')]);
    const r = await read([buf]);
    assert.equal(r.err?.code, 'BAD_REQUEST', JSON.stringify(bad));
    assert.match(r.err!.message, /not valid UTF-8/);
  }
  const r = await read([Buffer.from('{"body":')]);
  assert.equal(r.err?.code, 'BAD_REQUEST');
  assert.match(r.err!.message, /malformed JSON/);
});

test('asciiText says every string is ASCII from U+0020 to U+007F: no escape and no byte above 0x7F in the text', async () => {
  const cases: Array<[string, boolean]> = [
    ['{"jids":"a@b.c","body":"plain <&> \' ~\u007f text"}', true],
    ['{\n\t"body" : "tabs and line breaks between tokens",\r\n"n":[1,true,null]}', true],
    ['{"body":"an escaped quote \\" inside"}', false],
    ['{"body":"a\\u0001 control"}', false],
    ['{"body":"a\\n line break"}', false],
    ['{"body":"\\u0041 is A but escaped"}', false],
    ['{"body":"é"}', false],
    ['{"body":"\u2028"}', false],
  ];
  for (const [text, ascii] of cases) {
    const r = await read([Buffer.from(text, 'utf8')]);
    assert.equal(r.err, null, text);
    assert.equal(r.asciiText, ascii, text);
    if (ascii) for (const s of JSON.stringify(r.value).match(/"(?:[^"\\]|\\.)*"/g)!) assert.match(JSON.parse(s) as string, /^[\u0020-\u007f]*$/);
  }
  assert.equal((await read([Buffer.from('{"body": "a')])).asciiText, false, 'no flag with an error');
});
