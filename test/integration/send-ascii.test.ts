// A body read from plain ASCII JSON skips the scans it cannot need (its UTF-8 length is its length, and it holds
// nothing XML cannot carry); through the real service API it is checked, counted and stored exactly as any other.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { startEmulator, type RunningEmulator } from '../../src/index.js';
import { getJson, postJson } from '../helpers.js';

let em: RunningEmulator;
before(async () => {
  em = await startEmulator({ port: 0, appYaml: null });
});
after(() => em.close());

const SEND = '/v1/xmpp/send_message';

test('long ASCII bodies, plain or escaped, are refused or stored exactly as the service did', async () => {
  const plain = "Someone has sent you a gift on <Example.com> & more. ' ~\u007f".repeat(1000);
  const ok = await postJson(em.url, SEND, { jids: 'alice@example.com', body: plain });
  assert.equal(ok.status, 200);
  const stored = (await getJson(em.url, '/v1/outbox?to=alice@example.com')).body.entries.at(-1);
  assert.equal(stored.body, plain);
  // An escaped control character, quote or line break in otherwise plain text: still scanned.
  const control = await postJson(em.url, SEND, { jids: 'alice@example.com', body: `${plain}\u0001` });
  assert.equal(control.status, 400);
  assert.equal(control.body.error.code, 'INVALID_XML');
  assert.match(control.body.error.message, /U\+0001/);
  for (const body of [`${plain}"`, `${plain}\n`, `${plain}\\`]) assert.equal((await postJson(em.url, SEND, { jids: 'bob@example.com', body })).status, 200);
  // Sizes in bytes, as before: ASCII is one byte a character, é two.
  const over = await postJson(em.url, SEND, { jids: 'alice@example.com', body: 'x'.repeat(100 * 1024 + 1) });
  assert.equal(over.body.error.code, 'EXCEEDED_MAX_SIZE');
  assert.match(over.body.error.message, /body is 102401 bytes/);
  const overUtf8 = await postJson(em.url, SEND, { jids: 'alice@example.com', body: 'é'.repeat(51 * 1024) });
  assert.match(overUtf8.body.error.message, /body is 104448 bytes/);
  // The data quota counts the escaped stanza's bytes either way.
  const before = (await getJson(em.url, '/v1/stats')).body.quotas;
  await postJson(em.url, SEND, { jids: 'carol@example.com', body: "a<b&c>d'e" });
  const after = (await getJson(em.url, '/v1/stats')).body.quotas;
  const stanza =
    '<message xmlns="jabber:client" from="dev-app@appspot.com/bot" to="carol@example.com" type="chat"><body>a&lt;b&amp;c&gt;d&apos;e</body></message>';
  assert.equal(after.total.data_sent_bytes - before.total.data_sent_bytes, Buffer.byteLength(stanza));
});

test('--json prints the whole event of a long body, plain or escaped, as its JSON', async () => {
  const stdout = new PassThrough();
  let printed = '';
  stdout.on('data', (d: Buffer) => (printed += d.toString('utf8')));
  const json = await startEmulator({ port: 0, appYaml: null, console: true, json: true, stdout });
  try {
    const plain = 'Someone has sent you a gift on <Example.com> & more. '.repeat(1000);
    const bodies = [plain, `${plain}"quoted"`, `${plain}\\`, `${plain}\u0085é`];
    for (const body of bodies) assert.equal((await postJson(json.url, SEND, { jids: 'alice@example.com', body })).status, 200);
    const entries = (await getJson(json.url, '/v1/outbox')).body.entries;
    // The console gathers its lines under load (console/printer.ts): wait until they are written.
    while (printed.split('\n').filter((l) => l.includes('"type":"sent"')).length < bodies.length) await new Promise((r) => stdout.once('data', r));
    const sentLines = printed.split('\n').filter((l) => l.includes('"type":"sent"'));
    assert.equal(sentLines.length, bodies.length);
    sentLines.forEach((line, i) => {
      const event = JSON.parse(line);
      assert.equal(line, JSON.stringify(event));
      assert.equal(event.entry.body, bodies[i]);
      assert.deepEqual(event.entry, entries[i]);
    });
  } finally {
    await json.close();
  }
});
