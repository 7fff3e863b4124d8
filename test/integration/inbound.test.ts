import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { DOMParser } from '@xmldom/xmldom';
import formidable from 'formidable';
import { startEmulator, type EmulatorEvent, type RunningEmulator } from '../../src/index.js';
import { postJson, startTestApp, type TestApp } from '../helpers.js';

let app: TestApp;
let v2: TestApp;
let em: RunningEmulator;
before(async () => {
  app = await startTestApp();
  v2 = await startTestApp();
  em = await startEmulator({ port: 0, appId: 'my-app', appUrl: app.url, versions: { v2: v2.url }, appYaml: null, deliveryTimeoutMs: 400 });
});
after(async () => {
  await em.close();
  await app.close();
  await v2.close();
});

const TRICKY = `<tag attr="x"> & 'quotes' "double" — ünïcødé ✓ 日本語 🎉`;

function parts(raw: Buffer): Record<string, string> {
  // The part headers exactly as sent: one Content-Type with a charset per part.
  const text = raw.toString('utf8');
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/Content-Disposition: form-data; name="([^"]+)"\r\nContent-Type: ([^\r]+)\r\n/g)) out[m[1]!] = m[2]!;
  return out;
}

test('a chat message arrives as multipart/form-data with from, to, body, stanza, each part typed, as an administrator', async () => {
  const r = await em.injectMessage({ from: 'alice@example.com/phone', body: TRICKY });
  assert.equal(r.delivered, true);
  assert.equal(r.status, 200);
  assert.equal(r.path, '/_ah/xmpp/message/chat/');
  assert.ok(r.duration_ms >= 0);
  const got = app.received.at(-1)!;
  assert.equal(got.path, '/_ah/xmpp/message/chat/');
  assert.deepEqual(Object.keys(got.fields).sort(), ['body', 'from', 'stanza', 'to']);
  assert.equal(got.fields.from, 'alice@example.com/phone');
  assert.equal(got.fields.to, 'my-app@appspot.com');
  assert.equal(got.fields.body, TRICKY);
  assert.equal(got.headers['x-appengine-fake-is-admin'], '1');
  assert.equal(got.headers['x-appengine-fake-logged-in'], '1');
  assert.match(String(got.headers['content-type']), /^multipart\/form-data; boundary=/);
  assert.deepEqual(parts(got.raw), {
    from: 'text/plain; charset="UTF-8"',
    to: 'text/plain; charset="UTF-8"',
    body: 'text/plain; charset="UTF-8"',
    stanza: 'text/xml; charset="UTF-8"',
  });
  assert.ok(!got.raw.toString().includes('filename='), 'fields, not files');

  const errors: string[] = [];
  const el = new DOMParser({ onError: (_l, m) => void errors.push(m) }).parseFromString(got.fields.stanza!, 'text/xml').documentElement!;
  assert.deepEqual(errors, []);
  assert.equal(el.namespaceURI, 'jabber:client');
  assert.equal(el.getAttribute('from'), 'alice@example.com/phone');
  assert.equal(el.getAttribute('to'), 'my-app@appspot.com');
  assert.equal(el.getAttribute('type'), 'chat');
  assert.equal(el.getElementsByTagName('body')[0]!.textContent, TRICKY);
  assert.ok(got.fields.stanza!.includes('&lt;tag attr=&quot;x&quot;&gt; &amp; &apos;quotes&apos;'));

  // A second, independent multipart parser (formidable) reads the same values from the same bytes. Formidable
  // files every part that names a Content-Type (as the dev server's parts all did), so read them from there.
  const req = Object.assign(Readable.from([got.raw]), { headers: { 'content-type': got.headers['content-type'], 'content-length': String(got.raw.length) } });
  const [, files] = await formidable({}).parse(req as never);
  const value = (name: string) => fs.readFileSync(files[name]![0]!.filepath, 'utf8');
  assert.equal(value('body'), TRICKY);
  assert.equal(value('stanza'), got.fields.stanza);
  assert.equal(files.stanza![0]!.mimetype, 'text/xml; charset="UTF-8"');
});

test(
  "a parser outside Node (Python's email package) reads every part with its charset",
  { skip: spawnSync('python3', ['--version']).status !== 0 && 'python3 not installed' },
  async () => {
    await em.injectMessage({ from: 'py@example.com', body: TRICKY });
    const got = app.received.at(-1)!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xmpp-emu-py-'));
    fs.writeFileSync(path.join(dir, 'body'), got.raw);
    const script = `
import email, email.policy, json, sys
raw = open(sys.argv[1], 'rb').read()
msg = email.message_from_bytes(b'Content-Type: ' + sys.argv[2].encode() + b'\\r\\n\\r\\n' + raw, policy=email.policy.HTTP)
out = {}
for part in msg.iter_parts():
    name = part.get_param('name', header='content-disposition')
    out[name] = {'type': part.get_content_type(), 'charset': part.get_content_charset(), 'value': part.get_payload(decode=True).decode(part.get_content_charset())}
print(json.dumps(out))
`;
    const parsed = JSON.parse(execFileSync('python3', ['-c', script, path.join(dir, 'body'), String(got.headers['content-type'])]).toString());
    assert.deepEqual(Object.keys(parsed).sort(), ['body', 'from', 'stanza', 'to']);
    assert.equal(parsed.body.value, TRICKY);
    assert.equal(parsed.body.charset, 'utf-8');
    assert.equal(parsed.stanza.type, 'text/xml');
    assert.equal(parsed.from.type, 'text/plain');
  },
);

test('normal and untyped messages reach the chat path; error goes to the error path; groupchat and headline are not delivered', async () => {
  for (const type of ['normal', '']) {
    const r = await em.injectMessage({ from: 'a@example.com', body: `typed ${type}`, type });
    assert.equal(r.delivered, true, type);
    const stanza = app.received.at(-1)!.fields.stanza!;
    assert.equal(stanza.includes(' type='), type !== '', stanza);
  }
  const error = await em.injectMessage({ from: 'a@example.com/desk', body: 'bounced', type: 'error' });
  assert.deepEqual([error.delivered, error.kind, error.path], [true, 'error', '/_ah/xmpp/error/']);
  const posted = app.received.at(-1)!;
  assert.equal(posted.path, '/_ah/xmpp/error/');
  assert.equal(posted.fields.from, 'a@example.com/desk');
  assert.match(posted.fields.stanza!, /type="error"/);
  const count = app.received.length;
  for (const type of ['groupchat', 'headline']) {
    const r = await em.injectMessage({ from: 'a@example.com', body: 'x', type });
    assert.equal(r.delivered, false);
    assert.equal(r.url, null);
    assert.match(r.reason!, new RegExp(`type "${type}" are not delivered`));
  }
  assert.equal(app.received.length, count, 'nothing was posted');
  const bad = await postJson(em.url, '/v1/inbound/message', { from: 'a@example.com', body: 'x', type: 'whisper' });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'INVALID_TYPE');
});

test('messages over 100 KB are not delivered; exactly 100 KB is', async () => {
  assert.equal((await em.injectMessage({ from: 'a@example.com', body: 'x'.repeat(102_400) })).delivered, true);
  const r = await em.injectMessage({ from: 'a@example.com', body: 'é'.repeat(51_201) });
  assert.equal(r.delivered, false);
  assert.match(r.reason!, /102402 bytes; incoming messages over 102400 bytes/);
});

test('presence notifications: path per type, show and status fields, and get_presence agrees afterwards', async () => {
  let r = await em.injectPresence({ from: 'bob@example.com/desk', type: 'available', show: 'away', status: 'out to <lunch>' });
  assert.equal(r.path, '/_ah/xmpp/presence/available/');
  let got = app.received.at(-1)!;
  assert.equal(got.path, '/_ah/xmpp/presence/available/');
  assert.deepEqual(
    [got.fields.from, got.fields.to, got.fields.show, got.fields.status],
    ['bob@example.com/desk', 'my-app@appspot.com', 'away', 'out to <lunch>'],
  );
  assert.match(
    got.fields.stanza!,
    /^<presence xmlns="jabber:client" from="bob@example.com\/desk" to="my-app@appspot.com"><show>away<\/show><status>out to &lt;lunch&gt;<\/status><\/presence>$/,
  );
  let p = await postJson(em.url, '/v1/xmpp/get_presence', { jid: 'bob@example.com' });
  assert.deepEqual(p.body.presence[0], { jid: 'bob@example.com', valid: true, available: true, show: 'away', status: 'out to <lunch>' });

  r = await em.injectPresence({ from: 'bob@example.com', type: 'unavailable' });
  got = app.received.at(-1)!;
  assert.equal(got.path, '/_ah/xmpp/presence/unavailable/');
  assert.equal(got.fields.show, undefined, 'no show field when there is none');
  p = await postJson(em.url, '/v1/xmpp/get_presence', { jid: 'bob@example.com' });
  assert.equal(p.body.presence[0].available, false);

  r = await em.injectPresence({ from: 'bob@example.com', type: 'probe' });
  assert.equal(app.received.at(-1)!.path, '/_ah/xmpp/presence/probe/');
  assert.match(app.received.at(-1)!.fields.stanza!, /type="probe"/);
});

test('subscriptions: four paths; subscribe makes a JID subscribed, unsubscribe removes it', async () => {
  for (const type of ['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed'] as const) {
    const r = await em.injectSubscription({ from: 'sub@example.com', to: 'bot@my-app.appspotchat.com', type });
    assert.equal(r.delivered, true);
    const got = app.received.at(-1)!;
    assert.equal(got.path, `/_ah/xmpp/subscription/${type}/`);
    assert.deepEqual(Object.keys(got.fields).sort(), ['from', 'stanza', 'to']);
    assert.match(got.fields.stanza!, new RegExp(`type="${type}"`));
  }
  assert.equal((await em.listPresence()).jids.find((j) => j.jid === 'sub@example.com')?.subscribed, false);
  await em.injectSubscription({ from: 'sub@example.com', type: 'subscribe' });
  assert.equal((await em.listPresence()).jids.find((j) => j.jid === 'sub@example.com')?.subscribed, true);
});

test('error stanzas: /_ah/xmpp/error/ with from and stanza; a given stanza must be well-formed', async () => {
  let r = await em.injectError({ from: 'gone@example.com' });
  assert.equal(r.delivered, true);
  let got = app.received.at(-1)!;
  assert.equal(got.path, '/_ah/xmpp/error/');
  assert.deepEqual(Object.keys(got.fields).sort(), ['from', 'stanza']);
  assert.match(got.fields.stanza!, /type="error".*service-unavailable/);
  const custom =
    '<message xmlns="jabber:client" type="error" from="gone@example.com"><error type="cancel"><item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>';
  r = await em.injectError({ from: 'gone@example.com', stanza: custom });
  got = app.received.at(-1)!;
  assert.equal(got.fields.stanza, custom);
  const bad = await postJson(em.url, '/v1/inbound/error', { from: 'gone@example.com', stanza: '<message><oops></message>' });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'INVALID_XML');
});

test('routing: per-version addresses go to that version; unknown versions and foreign domains are not delivered', async () => {
  const r = await em.injectMessage({ from: 'a@example.com', to: 'bot@v2.latest.my-app.appspotchat.com', body: 'to v2' });
  assert.equal(r.delivered, true);
  assert.equal(r.version, 'v2');
  assert.equal(r.url, `${v2.url}/_ah/xmpp/message/chat/`);
  assert.equal(v2.received.at(-1)!.fields.body, 'to v2');
  const custom = await em.injectMessage({ from: 'a@example.com', to: 'help-desk@my-app.appspotchat.com/x', body: 'custom' });
  assert.equal(custom.url, `${app.url}/_ah/xmpp/message/chat/`);
  assert.equal(app.received.at(-1)!.fields.to, 'help-desk@my-app.appspotchat.com/x');
  const unknown = await em.injectMessage({ from: 'a@example.com', to: 'bot@v7.latest.my-app.appspotchat.com', body: 'x' });
  assert.equal(unknown.delivered, false);
  assert.match(unknown.reason!, /version "v7"/);
  const foreign = await em.injectMessage({ from: 'a@example.com', to: 'someone@gmail.com', body: 'x' });
  assert.equal(foreign.delivered, false);
  assert.match(foreign.reason!, /not an address of app "my-app"/);
});

test('a message the app sends to its own address comes back to it', async () => {
  const next = app.next();
  await postJson(em.url, '/v1/xmpp/send_message', { jids: 'loop@my-app.appspotchat.com', body: 'round and round' });
  const got = await next;
  assert.equal(got.fields.body, 'round and round');
  assert.equal(got.fields.from, 'my-app@appspot.com/bot');
  assert.equal(got.fields.to, 'loop@my-app.appspotchat.com');
});

test('the app down, failing or hanging: a clear result within the timeout, never a hang', async () => {
  app.respond = 500;
  let r = await em.injectMessage({ from: 'a@example.com', body: 'fail please' });
  assert.deepEqual([r.delivered, r.status], [false, 500]);
  assert.match(r.reason!, /the app answered HTTP 500/);

  app.respond = 'hang';
  const started = Date.now();
  r = await em.injectMessage({ from: 'a@example.com', body: 'hang please' });
  assert.deepEqual([r.delivered, r.status], [false, null]);
  assert.match(r.reason!, /did not answer within 400 ms/);
  assert.ok(Date.now() - started < 3000);
  app.respond = 200;

  const down = await startEmulator({ port: 0, appUrl: 'http://127.0.0.1:1', appYaml: null });
  try {
    r = await down.injectMessage({ from: 'a@example.com', body: 'anyone?' });
    assert.deepEqual([r.delivered, r.status], [false, null]);
    assert.match(r.reason!, /could not be reached: nothing is listening at http:\/\/127.0.0.1:1/);
  } finally {
    await down.close();
  }
});

test('app.yaml inbound_services decide what is delivered, and an edit applies without a restart', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xmpp-emu-yaml-'));
  const file = path.join(dir, 'app.yaml');
  fs.writeFileSync(file, 'application: yaml-app\ninbound_services:\n- xmpp_message\n- mail\n');
  const yem = await startEmulator({ port: 0, appUrl: app.url, appYaml: file });
  try {
    assert.equal(yem.options.appId, 'yaml-app', 'the app id comes from app.yaml');
    assert.equal((await yem.injectMessage({ from: 'a@example.com', body: 'ok' })).delivered, true);
    const off = await yem.injectPresence({ from: 'a@example.com' });
    assert.equal(off.delivered, false);
    assert.match(off.reason!, /xmpp_presence is not enabled in app.yaml/);

    const reloaded = new Promise<EmulatorEvent>((resolve) => {
      const stop = yem.onEvent((e) => e.type === 'config' && (stop(), resolve(e)));
    });
    fs.writeFileSync(file, 'application: yaml-app\ninbound_services:\n- xmpp_presence\n');
    const ev = await reloaded;
    assert.equal(ev.type === 'config' && ev.ok, true);
    assert.equal((await yem.injectPresence({ from: 'a@example.com' })).delivered, true);
    assert.match((await yem.injectMessage({ from: 'a@example.com', body: 'no' })).reason!, /xmpp_message is not enabled/);

    const broken = new Promise<EmulatorEvent>((resolve) => {
      const stop = yem.onEvent((e) => e.type === 'config' && (stop(), resolve(e)));
    });
    fs.writeFileSync(file, 'inbound_services: [unclosed\n');
    const bad = await broken;
    assert.equal(bad.type === 'config' && bad.ok, false);
    assert.match((bad as { message: string }).message, /not valid YAML.*keeping the last good state/);
    assert.equal((await yem.injectPresence({ from: 'a@example.com' })).delivered, true, 'the last good state holds');
  } finally {
    await yem.close();
  }
});
