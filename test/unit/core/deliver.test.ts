import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import type FormDataType from 'form-data';
import { Boundaries, encodeParts, joinUrl } from '../../../src/core/deliver.js';
import { seededRandom } from '../../../src/domain/random.js';

const part = (value: string) => [{ name: 'body', value, contentType: 'text/plain; charset="UTF-8"' }];

test('multipart boundaries come from the seed: the same seed gives the same bytes, another seed others', () => {
  const body = (seed: number) => encodeParts(part('hello'), new Boundaries(seededRandom(seed)));
  assert.deepEqual(body(42), body(42));
  assert.notEqual(body(42).contentType, body(43).contentType);
  assert.match(body(42).contentType, /^multipart\/form-data; boundary=xmpp-emu-[0-9a-f]{24}$/);
});

test('multipart encoding: a part that contains the boundary gets another one, and every value reads back', async () => {
  const boundaries = new Boundaries(seededRandom(7));
  const first = encodeParts(part('x'), boundaries);
  const boundary = first.contentType.split('boundary=')[1]!;
  const tricky = `--${boundary}\r\nContent-Disposition: form-data; name="evil"\r\n\r\nboo`;
  const second = encodeParts(part(tricky), boundaries);
  const other = second.contentType.split('boundary=')[1]!;
  assert.notEqual(other, boundary);
  const fd = await new Response(new Uint8Array(second.body), { headers: { 'content-type': second.contentType } }).formData();
  assert.equal(fd.get('body'), tricky);
  assert.equal(fd.get('evil'), null);
});

test('joinUrl: one slash between the app URL and the path', () => {
  for (const base of ['http://127.0.0.1:8080', 'http://127.0.0.1:8080/', 'http://127.0.0.1:8080//']) {
    assert.equal(joinUrl(base, '/_ah/xmpp/message/chat/'), 'http://127.0.0.1:8080/_ah/xmpp/message/chat/');
  }
});

test('multipart encoding: the same bytes as form-data builds for the same parts, whatever the values', () => {
  const require = createRequire(import.meta.url);
  const FormData = require('form-data') as typeof FormDataType;
  const boundaries = new Boundaries(seededRandom(3));
  const values = ['', 'hello', 'Ünïcødé ✓ 🎉', 'a\r\nb\nc"d\\e', '\u0000 0 \u0000', '<x a="1">&amp;</x>', 'z'.repeat(70_000)];
  const shapes = [['from', 'to', 'body', 'stanza'], ['from', 'to', 'stanza'], ['stanza']];
  for (const names of shapes) {
    for (const [i, value] of values.entries()) {
      const parts = names.map((name, k) => ({
        name,
        value: k === 0 ? value : `${name} ${values[(i + k) % values.length]}`,
        contentType: k % 2 ? 'text/xml; charset="UTF-8"' : 'text/plain; charset="UTF-8"',
      }));
      const { body, contentType } = encodeParts(parts, boundaries);
      const form = new FormData();
      form.setBoundary(contentType.split('boundary=')[1]!);
      for (const p of parts) form.append(p.name, p.value, { contentType: p.contentType });
      assert.equal(contentType, form.getHeaders()['content-type']);
      assert.ok(body.equals(form.getBuffer()), `${names.join(',')} with value #${i}`);
    }
  }
});
