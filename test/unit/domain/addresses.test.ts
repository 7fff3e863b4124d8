import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appAddresses, isAppAddress, resolveSender, routeInbound } from '../../../src/domain/addresses.js';
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
