import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appAddresses, classifyAppAddress, isAppAddress, resolveSender, routeInbound } from '../../../src/domain/addresses.js';
import { parseJid } from '../../../src/domain/jid.js';
import { InvalidJidError } from '../../../src/domain/errors.js';

const app = { appId: 'my-app', versions: ['v2', 'beta'] };

test('the sender: default address, /bot on a bare JID, resources kept', () => {
  const table: Array<[string | undefined, string | null, string]> = [
    [undefined, null, 'my-app@appspot.com/bot'],
    ['my-app@appspot.com', null, 'my-app@appspot.com/bot'],
    ['my-app@appspot.com/custom', null, 'my-app@appspot.com/custom'],
    ['support@my-app.appspotchat.com', null, 'support@my-app.appspotchat.com/bot'],
    ['news-2@my-app.appspotchat.com/feed', null, 'news-2@my-app.appspotchat.com/feed'],
    // A non-default version rewrites to its own domain so replies come back to it.
    [undefined, 'v2', 'my-app@v2.latest.my-app.appspotchat.com/bot'],
    ['support@my-app.appspotchat.com', 'v2', 'support@v2.latest.my-app.appspotchat.com/bot'],
    ['x@beta.latest.my-app.appspotchat.com', 'beta', 'x@beta.latest.my-app.appspotchat.com/bot'],
    // A version the emulator does not know is the default version: no rewriting.
    [undefined, 'unknown-version', 'my-app@appspot.com/bot'],
  ];
  for (const [from, version, expected] of table) assert.equal(resolveSender(from, app, version), expected, `${from} ${version}`);
});

test("a from_jid that is not one of the app's addresses is INVALID_JID", () => {
  for (const from of [
    'alice@example.com',
    'other-app@appspot.com',
    'bad node@my-app.appspotchat.com',
    'a_b@my-app.appspotchat.com',
    'nope',
    'x@v2.latest.other.appspotchat.com',
  ]) {
    assert.throws(
      () => resolveSender(from, app, null),
      (e: unknown) => e instanceof InvalidJidError && e.code === 'INVALID_JID' && e.message.includes(from),
      from,
    );
  }
});

test('inbound routing: default version, per-version, unknown version, foreign domain', () => {
  assert.deepEqual(routeInbound('my-app@appspot.com', app), { ok: true, version: null });
  assert.deepEqual(routeInbound('anything@my-app.appspotchat.com/res', app), { ok: true, version: null });
  assert.deepEqual(routeInbound('bot@v2.latest.my-app.appspotchat.com', app), { ok: true, version: 'v2' });
  const unknown = routeInbound('bot@v9.latest.my-app.appspotchat.com', app);
  assert.equal(unknown.ok, false);
  assert.match((unknown as { reason: string }).reason, /version "v9" .* does not exist .*v2, beta/);
  const foreign = routeInbound('someone@gmail.com', app);
  assert.equal(foreign.ok, false);
  assert.match((foreign as { reason: string }).reason, /not an address of app "my-app"/);
  assert.equal(isAppAddress('my-app@appspot.com/bot', 'my-app'), true);
  assert.equal(isAppAddress('alice@example.com', 'my-app'), false);
});

test('the banner lists the app addresses including each version', () => {
  assert.deepEqual(appAddresses(app), [
    'my-app@appspot.com',
    'ANYTHING@my-app.appspotchat.com',
    'ANYTHING@v2.latest.my-app.appspotchat.com',
    'ANYTHING@beta.latest.my-app.appspotchat.com',
  ]);
});

test("which of the app's addresses a JID is: every kind, and near misses that are a user's", () => {
  const kind = (jid: string, appId = 'My-App'): unknown => {
    const r = parseJid(jid);
    assert.ok(r.ok, jid);
    return classifyAppAddress(r.jid, appId);
  };
  for (const appId of ['My-App', 'my-app', 'other']) {
    const mine = appId !== 'other';
    assert.deepEqual(kind('my-app@appspot.com', appId), mine ? { kind: 'appspot' } : null);
    assert.deepEqual(kind('MY-APP@AppSpot.com/res', appId), mine ? { kind: 'appspot' } : null);
    assert.deepEqual(kind('anything-1@my-app.appspotchat.com', appId), mine ? { kind: 'custom' } : null);
    assert.deepEqual(kind('Bot@MY-APP.APPSPOTCHAT.COM/x', appId), mine ? { kind: 'custom' } : null);
    assert.deepEqual(kind('bot@v2.latest.my-app.appspotchat.com', appId), mine ? { kind: 'version', version: 'v2' } : null);
  }
  for (const user of [
    'alice@example.com',
    'other@appspot.com',
    'bot@other-my-app.appspotchat.com',
    'bot@xmy-app.appspotchat.com',
    'bot@my-app.appspotchat.com.evil.com',
    'bot@x.my-app.appspotchat.com',
    'bot@a.b.latest.my-app.appspotchat.com',
    'b.o.t@my-app.appspotchat.com',
    'b_t@v2.latest.my-app.appspotchat.com',
    'bot@.latest.my-app.appspotchat.com',
  ]) {
    if (parseJid(user).ok) assert.equal(kind(user), null, user);
  }
});
