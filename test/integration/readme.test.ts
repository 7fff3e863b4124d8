// Every fenced code block in README.md is run here (or by the test its marker names), so the README cannot drift.
// How a block declares what it needs is documented in the README's Development section.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import ts from 'typescript';
import { startEchoBot, type RunningBot } from '../../fixtures/echo-bot/bot.js';
import { BIN, cli, killAll, killGroup, runCli, runProcess, type Cli } from '../cli-process.js';
import { closedPort, getJson, postJson } from '../helpers.js';
import { readmeBlocks, repoRoot, type Block } from '../readme-blocks.js';

const ROOT = repoRoot();
const BLOCKS = readmeBlocks(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
const PYTHON = '/usr/bin/python3';
/** Markers that hand a block to another test, which must really run it. */
const ELSEWHERE: Record<string, string> = {
  install: 'test/integration/install.test.ts',
  repl: 'test/integration/repl-terminal.test.ts',
};

// `xmpp-emu` on PATH, as after an install: a shim that runs this clone's launcher.
const shims = fs.mkdtempSync(path.join(os.tmpdir(), 'xmpp-emu-readme-bin-'));
fs.writeFileSync(path.join(shims, 'xmpp-emu'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
// curl that fails on an HTTP error (and still shows the body), so an example answered 4xx fails instead of passing.
const realCurl = ['/usr/bin/curl', '/bin/curl'].find((c) => fs.existsSync(c)) ?? 'curl';
fs.writeFileSync(
  path.join(shims, 'curl'),
  `#!/bin/sh\nfor a in "$@"; do case "$a" in --fail*|-[!-]*f*) exec ${realCurl} "$@";; esac; done\nexec ${realCurl} --fail-with-body "$@"\n`,
  { mode: 0o755 },
);
const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  killAll();
  for (const c of cleanups.splice(0)) await c();
});

/** A fresh folder inside the clone (so `import 'xmpp-emu'` and its dependencies resolve), with the fixtures beside. */
function workDir(block: Block): string {
  const dir = path.join(ROOT, 'build', 'readme', `L${block.line}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'fixtures'), path.join(dir, 'fixtures'));
  return dir;
}

interface Ports {
  emulator?: number;
  app?: number;
}

/** 8095 and 8080 in a block mean the emulator and the app the harness started, on free ports. */
function substitute(text: string, ports: Ports): string {
  let out = text;
  if (ports.emulator !== undefined) out = out.replace(/\b8095\b/g, String(ports.emulator));
  if (ports.app !== undefined) out = out.replace(/\b8080\b/g, String(ports.app));
  return out;
}

/** Resolves once something accepts connections on the port (an app the block starts). */
async function listening(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listened on port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

async function sampleBot(client: { host: string }): Promise<RunningBot> {
  const bot = await startEchoBot({ port: 0, client });
  cleanups.push(() => bot.close());
  return bot;
}

/**
 * `emulator`: a real `xmpp-emu start` beside the sample bot; `app`: beside the app the block is; `bot`: the sample
 * bot alone, calling the emulator the block itself starts on the default port.
 */
async function startFixture(block: Block, dir: string, env: NodeJS.ProcessEnv): Promise<{ ports: Ports; emulator: Cli | null }> {
  const m = block.marker ?? {};
  const client = { host: '' };
  if (m.bot) {
    client.host = `127.0.0.1:${env.XMPP_EMU_PORT}`;
    return { ports: { app: (await sampleBot(client)).port }, emulator: null };
  }
  if (!m.emulator && !m.app) return { ports: {}, emulator: null };
  const appPort = m.app ? await closedPort() : (await sampleBot(client)).port;
  const extra = m.emulator && m.emulator !== 'true' ? substitute(m.emulator, { app: appPort }).split(/\s+/) : [];
  const args = [
    'start',
    '--json',
    '--no-repl',
    '--port',
    '0',
    '--app-url',
    `http://127.0.0.1:${appPort}`,
    ...(m['app-id'] ? ['--app-id', m['app-id']] : []),
    ...extra,
  ];
  const emulator = runCli(args, env, dir);
  const ready = JSON.parse((await emulator.waitFor(/\n/)).split('\n')[0]!) as { port: number; env: { XMPP_EMULATOR_HOST: string } };
  client.host = ready.env.XMPP_EMULATOR_HOST;
  return { ports: { emulator: ready.port, app: appPort }, emulator };
}

const FILE_EXT: Record<string, string> = { sh: 'sh', bash: 'sh', js: 'mjs', ts: 'mjs', python: 'py', json: 'json' };
const RUNNERS: Record<string, string> = { sh: 'bash -eo pipefail {file}', js: 'node {file}', python: `${PYTHON} {file}` };

/** The command that runs a block: its marker's `run`, else its language's runner. */
function commandFor(block: Block): string {
  const run = block.marker?.run ?? RUNNERS[block.lang === 'bash' ? 'sh' : block.lang === 'ts' ? 'js' : block.lang];
  if (!run) {
    throw new Error(
      `README.md:${block.line}: a \`\`\`${block.lang || '(no language)'} block is not run; say how with <!-- test: run="..." --> or <!-- test: skip="why" --> (README, Development)`,
    );
  }
  return run;
}

async function runBlock(block: Block): Promise<void> {
  const m = block.marker ?? {};
  const dir = workDir(block);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${shims}:${process.env.PATH}`,
    HOME: dir,
    FORCE_COLOR: '0',
    // A block that starts an emulator without --port must not take 8095 (or 5222) from whoever runs it.
    XMPP_EMU_PORT: String(await closedPort()),
    XMPP_EMU_XMPP_PORT: '0',
    XMPP_EMU_HISTORY: path.join(dir, 'history'),
  };
  const file = path.join(dir, m.file ?? `block.${FILE_EXT[block.lang] ?? 'txt'}`);
  // Written before the emulator starts (it may read the file: --presence), again once the ports are known.
  fs.writeFileSync(file, block.text);
  const { ports, emulator } = await startFixture(block, dir, env);
  if (ports.emulator !== undefined) env.XMPP_EMULATOR_HOST = `127.0.0.1:${ports.emulator}`;
  let text = substitute(block.text, ports);
  if (block.lang === 'ts') text = ts.transpileModule(text, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  fs.writeFileSync(file, text);
  const command = substitute(commandFor(block), ports).replaceAll('{file}', JSON.stringify(file));
  const p = runProcess('bash', ['-c', command], { cwd: dir, env, detached: true });
  p.child.stdin.end();
  const output = (): string =>
    `\n--- ${command}\n--- stdout:\n${p.stdout()}\n--- stderr:\n${p.stderr()}${emulator ? `\n--- emulator:\n${emulator.stdout()}${emulator.stderr()}` : ''}`;
  try {
    if (m.app) {
      // The block is an app: once it listens, a user says hello, and it must take the message and answer.
      await Promise.race([listening(ports.app!), p.exited.then((c) => Promise.reject(new Error(`the app exited (${c}) before it listened`)))]);
      const base = `http://127.0.0.1:${ports.emulator}`;
      const delivery = await postJson(base, '/v1/inbound/message', { from: 'alice@example.com', body: 'hello' });
      assert.equal(delivery.body.delivered, true, JSON.stringify(delivery.body));
      assert.equal((await getJson(base, '/v1/outbox/wait?to=alice@example.com&timeout_ms=5000')).status, 200, 'the app answered alice');
    } else if (m.until) {
      // A block that keeps running (a server, a follow): it works once its output says so; Ctrl-C then ends it.
      const re = new RegExp(m.until);
      await Promise.race([p.waitFor(re, 'stdout', 20_000), p.waitFor(re, 'stderr', 20_000)]);
      killGroup(p.child.pid!, 'SIGINT');
      assert.equal(await p.exited, Number(m.exit ?? 0));
      return;
    } else {
      assert.equal(await p.exited, Number(m.exit ?? 0), `exit code${output()}`);
      return;
    }
  } catch (e) {
    (e as Error).message += output();
    throw e;
  } finally {
    if (p.child.exitCode === null) killGroup(p.child.pid!, 'SIGKILL');
    if (emulator) emulator.child.kill('SIGTERM');
    await emulator?.exited;
  }
}

/** A CLI synopsis: each `xmpp-emu COMMAND ... --flag` line names a command and flags its --help shows. */
async function checkSynopsis(block: Block): Promise<void> {
  for (const line of block.text.split('\n').filter((l) => l.startsWith('xmpp-emu '))) {
    // The first column is the usage; after two spaces comes what it does.
    const usage = line.split(/\s{2,}/)[0]!;
    const words = usage.split(/\s+/).slice(1);
    const command: string[] = [];
    for (const w of words) {
      if (!/^[a-z]+$/.test(w)) break;
      command.push(w);
    }
    const help = await cli([...command, '--help']);
    assert.equal(help.code, 0, `xmpp-emu ${command.join(' ')} --help: ${help.stderr}`);
    for (const flag of usage.match(/--[a-z][a-z-]*/g) ?? [])
      assert.ok(help.stdout.includes(flag), `README.md:${block.line}: xmpp-emu ${command.join(' ')} has no ${flag}`);
  }
}

/** A layout: each path in the first column exists in the clone. */
function checkTree(block: Block): void {
  for (const line of block.text.split('\n').filter(Boolean)) {
    for (const p of line.split(/\s{2,}/)[0]!.split(/,\s*/)) assert.ok(fs.existsSync(path.join(ROOT, p.trim())), `README.md:${block.line}: ${p} does not exist`);
  }
}

for (const block of BLOCKS) {
  const m = block.marker ?? {};
  const name = `README.md:${block.line} (${block.lang || 'plain'}${
    block.marker
      ? `; ${Object.entries(m)
          .map(([k, v]) => (v === 'true' ? k : `${k}=${v}`))
          .join(' ')}`
      : ''
  })`;
  const elsewhere = Object.keys(ELSEWHERE).find((k) => m[k]);
  if (m.skip) test(name, { skip: m.skip }, () => undefined);
  else if (elsewhere) {
    // Handed to another test: it must exist and read its blocks from the README with the same marker.
    test(`${name}: run by ${ELSEWHERE[elsewhere]}`, () => {
      const other = fs.readFileSync(path.join(ROOT, ELSEWHERE[elsewhere]!), 'utf8');
      assert.match(other, new RegExp(`readmeBlocks[\\s\\S]*marker\\?\\.${elsewhere}\\b`));
    });
  } else if (m.synopsis) test(name, () => checkSynopsis(block));
  else if (m.tree) test(name, () => checkTree(block));
  else test(name, { timeout: 60_000 }, () => runBlock(block));
}

test('every README block is run or says why not; a skip must give its reason', () => {
  assert.ok(BLOCKS.length > 10, 'the README was read');
  for (const b of BLOCKS) {
    if (b.marker?.skip !== undefined) assert.notEqual(b.marker.skip, 'true', `README.md:${b.line}: skip needs a reason: skip="why"`);
  }
});
