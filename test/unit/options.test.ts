import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadOptions, resolveOptions } from '../../src/options.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xmpp-emu-options-'));

test('loadOptions: flag > env > config file > default; the config key "presence" sets presenceFile, relative to the file', () => {
  const dir = path.join(tmp, 'project');
  fs.mkdirSync(dir);
  fs.writeFileSync(
    path.join(dir, 'xmpp-emu.config.json'),
    JSON.stringify({ appId: 'file-app', appUrl: 'http://127.0.0.1:1', presence: 'p.json', outboxCap: 7 }),
  );
  const o = loadOptions({ flags: { appId: 'flag-app', appYaml: null }, env: { XMPP_EMU_APP_ID: 'env-app', XMPP_EMU_APP_URL: 'http://127.0.0.1:2' }, cwd: dir });
  assert.equal(o.appId, 'flag-app');
  assert.equal(o.appUrl, 'http://127.0.0.1:2');
  assert.equal(o.outboxCap, 7);
  assert.equal(o.presenceFile, path.join(dir, 'p.json'));
  assert.equal(loadOptions({ flags: { appYaml: null }, env: { XMPP_EMU_PRESENCE: '/x/p.json' }, cwd: dir }).presenceFile, '/x/p.json');
  assert.ok(Object.isFrozen(o));
});

test('loadOptions: a named config file must exist; an unknown key is refused with the known ones', () => {
  assert.throws(() => loadOptions({ flags: {}, env: {}, configFile: 'nope.json', cwd: tmp }), {
    code: 'BAD_REQUEST',
    message: /config file .*nope\.json does not exist/,
  });
  fs.writeFileSync(path.join(tmp, 'bad.json'), '{"repl": false}');
  assert.throws(() => loadOptions({ flags: {}, env: {}, configFile: 'bad.json', cwd: tmp }), {
    code: 'BAD_REQUEST',
    message: /unknown key "repl" \(expected .*presence/,
  });
});

test('resolving resolved options gives the same options, so startEmulator() takes either', () => {
  const once = resolveOptions({ appYaml: null, port: 0, presenceFile: 'rel.json', versions: { v2: 'http://127.0.0.1:3' }, quotas: { apiCalls: 5 } });
  assert.deepEqual(resolveOptions(once), once);
});
