import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeParts, joinUrl } from '../../../src/core/deliver.js';

test('multipart encoding: a part that contains the boundary gets another one, and every value reads back', async () => {
  const first = encodeParts([{ name: 'body', value: 'x', contentType: 'text/plain; charset="UTF-8"' }]);
  const boundary = first.contentType.split('boundary=')[1]!;
  const tricky = `--${boundary}\r\nContent-Disposition: form-data; name="evil"\r\n\r\nboo`;
  const second = encodeParts([{ name: 'body', value: tricky, contentType: 'text/plain; charset="UTF-8"' }]);
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
