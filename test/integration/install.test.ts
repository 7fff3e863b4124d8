// The README's install, run for real: pack this clone, install the tarball globally into a temporary prefix, and
// use the installed command and SDK from a folder outside the clone.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { UNDICI_AGENT } from '../../src/core/deliver.js';
import { killAll, runProcess } from '../cli-process.js';
import { readmeBlocks, repoRoot } from '../readme-blocks.js';

const run = promisify(execFile);
const ROOT = repoRoot();
const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xmpp-emu-install-'));
const prefix = path.join(tmp, 'prefix');
const elsewhere = path.join(tmp, 'elsewhere');
const bin = path.join(prefix, 'bin', 'xmpp-emu');
// npm reads its settings from the environment: -g goes to the temporary prefix, from the cache when it can.
const npmEnv = {
  ...process.env,
  npm_config_prefix: prefix,
  npm_config_prefer_offline: 'true',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
};

const servers: Server[] = [];
after(async () => {
  killAll();
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

before(async () => {
  fs.mkdirSync(elsewhere);
  const block = readmeBlocks(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')).find((b) => b.marker?.install);
  assert.ok(block, 'the README has a block marked <!-- test: install -->');
  const lines = block.text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
  assert.match(lines.join('\n'), /\bnpm pack\b/);
  const installs = lines.filter((l) => l.startsWith('npm install -g '));
  assert.ok(installs.length > 0, 'the README says npm install -g');
  assert.ok(
    installs.every((l) => l.includes(`xmpp-emu-${version}.tgz`)),
    `the README installs the tarball npm pack makes: xmpp-emu-${version}.tgz`,
  );
  // `npm ci` (and its build) already ran for this suite; pack what it built, without building again under the tests.
  await run('npm', ['pack', '--ignore-scripts', '--pack-destination', tmp], { cwd: ROOT, env: npmEnv });
  assert.ok(fs.existsSync(path.join(tmp, `xmpp-emu-${version}.tgz`)));
  // The README's own install lines, verbatim, in the folder that holds the tarball.
  for (const line of installs) await run('bash', ['-c', line], { cwd: tmp, env: npmEnv });
});

test('the installed xmpp-emu answers --help from a folder outside the clone', async () => {
  const { stdout } = await run(bin, ['--help'], { cwd: elsewhere });
  for (const command of ['start', 'send', 'messages', 'exec', 'run']) assert.match(stdout, new RegExp(`\\n  ${command}\\b`));
});

test('the installed package finds the undici file its deliveries load, at the version package.json pins', () => {
  const installed = createRequire(path.join(prefix, 'lib', 'node_modules', 'xmpp-emu', 'package.json'));
  assert.ok(installed.resolve(UNDICI_AGENT).startsWith(prefix));
  const { dependencies } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  assert.equal((installed('undici/package.json') as { version: string }).version, dependencies.undici);
});

test('a round trip outside the clone: installed SDK in the app, installed CLI to start and to send', async () => {
  // The app: the installed package's own SDK (its router and command handler), resolved as an app would.
  const sdk = createRequire(path.join(prefix, 'lib', 'node_modules', 'xmpp-emu', 'package.json')).resolve('xmpp-emu/client');
  assert.ok(sdk.startsWith(prefix), sdk);
  const { xmppApp, CommandHandler } = (await import(pathToFileURL(sdk).href)) as typeof import('../../src/client/index.js');
  const client = { host: '' };
  class Echo extends CommandHandler {
    override async textMessage(m: import('../../src/client/index.js').Message): Promise<void> {
      await m.reply(`echo: ${m.body}`);
    }
  }
  const server = xmppApp({ message: new Echo(), client }).listen(0, '127.0.0.1');
  servers.push(server);
  await new Promise((r) => server.once('listening', r));
  const appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const start = runProcess(bin, ['start', '--json', '--no-repl', '--port', '0', '--app-url', appUrl], {
    cwd: elsewhere,
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  const ready = JSON.parse((await start.waitFor(/\n/)).split('\n')[0]!) as { env: { XMPP_EMULATOR_HOST: string } };
  client.host = ready.env.XMPP_EMULATOR_HOST;
  const send = await run(bin, ['send', '--from', 'alice@example.com', '--emulator', client.host, 'hello'], { cwd: elsewhere });
  assert.match(send.stdout, /delivered|200/);
  await start.waitFor(/"body":"echo: hello"/);
  start.child.kill('SIGTERM');
  assert.equal(await start.exited, 0);
});
