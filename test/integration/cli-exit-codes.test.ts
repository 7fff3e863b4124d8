// Every user mistake exits 2 with one line on stderr, whichever file finds it: commander (flags), options.ts
// (values, the config file), config-files.ts (the presence file, app.yaml), cli.ts (words), or the emulator (4xx).
// A failure that is not the user's (nothing listening) exits 1.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startEmulator, type RunningEmulator } from '../../src/index.js';
import { cli, killAll } from '../cli-process.js';
import { closedPort } from '../helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xmpp-emu-exit-'));
let em: RunningEmulator;
before(async () => {
  em = await startEmulator({ port: 0, appYaml: null });
});
after(async () => {
  killAll();
  await em.close();
});

test('a user mistake exits 2 with one line, wherever it is found', async () => {
  const brokenPresence = path.join(tmp, 'presence.json');
  fs.writeFileSync(brokenPresence, '{"jids": {"a@example.com": "snoozing"}}');
  const brokenYaml = path.join(tmp, 'app.yaml');
  fs.writeFileSync(brokenYaml, 'inbound_services: [xmpp_message\n');
  const badConfig = path.join(tmp, 'xmpp-emu.config.json');
  fs.writeFileSync(badConfig, '{"colour": true}');
  const host = em.env.XMPP_EMULATOR_HOST;
  const cases: Array<[string, string[], RegExp]> = [
    ['commander: unknown option', ['start', '--no-such-flag'], /unknown option '--no-such-flag'/],
    ['commander: bad choice', ['start', '--default-presence', 'sleepy'], /Allowed choices are available/],
    ['commander: missing argument', ['send', '--emulator', host, '--from', 'a@example.com'], /missing required argument 'body'/],
    ['commander: unknown command', ['strat'], /unknown command 'strat'/],
    ['cli.ts: a flag value', ['start', '--port', '0', '--version', 'v2'], /--version expects NAME=URL/],
    ['cli.ts: a presence word', ['presence', 'set', '--emulator', host, 'a@example.com', 'snoozing'], /state "snoozing" is not one of available/],
    ['options.ts: a port', ['start', '--port', 'eighty'], /--port must be a port number/],
    ['options.ts: the config file', ['start', '--port', '0', '--config', badConfig], /unknown key "colour"/],
    ['config-files.ts: the presence file', ['start', '--port', '0', '--no-repl', '--presence', brokenPresence], /presence file .*"snoozing" is not one of/],
    ['config-files.ts: app.yaml', ['start', '--port', '0', '--no-repl', '--app-yaml', brokenYaml], /app.yaml file .*not valid YAML/],
    ['the emulator: a 4xx answer', ['send', '--emulator', host, '--from', 'not a jid', 'hi'], /from "not a jid" is not a valid JID/],
  ];
  for (const [where, args, why] of cases) {
    const r = await cli(args);
    assert.equal(r.code, 2, `${where}: ${r.stderr}`);
    assert.match(r.stderr, /^xmpp-emu: [^\n]+\n$/, `${where}: exactly one line: ${JSON.stringify(r.stderr)}`);
    assert.match(r.stderr, why, where);
  }
});

test("a failure that is not the user's exits 1", async () => {
  const port = await closedPort();
  const r = await cli(['send', '--emulator', `127.0.0.1:${port}`, '--from', 'a@example.com', 'hi']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^xmpp-emu: cannot reach the emulator[^\n]*\n$/);
});
