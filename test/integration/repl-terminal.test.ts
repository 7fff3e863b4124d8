// The REPL driven as a person drives it: in a real terminal (tmux), typing, and reading the screen.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startEchoBot, type RunningBot } from '../../fixtures/echo-bot/bot.js';
import { startEmulator, type RunningEmulator } from '../../src/index.js';
import { BIN } from '../cli-process.js';
import { readmeBlocks, repoRoot } from '../readme-blocks.js';
import { openTerminal, type Terminal } from '../terminal.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xmpp-emu-tty-'));
const terminals: Terminal[] = [];
let em: RunningEmulator;
let bot: RunningBot;

before(async () => {
  const client = { host: '' };
  bot = await startEchoBot({ port: 0, client });
  em = await startEmulator({ port: 0, appUrl: bot.url, appYaml: null });
  client.host = em.env.XMPP_EMULATOR_HOST;
});
after(async () => {
  for (const t of terminals) await t.close();
  await em.close();
  await bot.close();
});

async function terminal(args: string[]): Promise<Terminal> {
  const t = await openTerminal([process.execPath, BIN, ...args], { env: { XMPP_EMU_HISTORY: path.join(tmp, 'history'), FORCE_COLOR: '0' } });
  terminals.push(t);
  return t;
}

/** How many times `text` is on the screen. */
const count = (screen: string, text: string): number => screen.split(text).length - 1;

test("the README's REPL session, typed into `xmpp-emu repl`, shows what the README shows", async () => {
  const block = readmeBlocks(fs.readFileSync(path.join(repoRoot(), 'README.md'), 'utf8')).find((b) => b.marker?.repl);
  assert.ok(block, 'the README has a block marked <!-- test: repl -->');
  const t = await terminal(['repl', '--emulator', em.env.XMPP_EMULATOR_HOST]);
  let shown = 0;
  for (const line of block.text.split('\n').filter(Boolean)) {
    const typed = /^(\S+ → \S+> )(.*)$/.exec(line);
    if (typed) {
      // The prompt the README shows is on the screen, after everything shown so far; then we type what follows it.
      const screen = await t.waitFor((s) => s.indexOf(typed[1]!, shown) !== -1);
      shown = screen.indexOf(typed[1]!, shown) + typed[1]!.length;
      await t.type(typed[2]!);
    } else {
      const screen = await t.waitFor((s) => s.indexOf(line, shown) !== -1);
      shown = screen.indexOf(line, shown) + line.length;
    }
  }
  await t.type('.exit');
  await t.waitFor(() => true);
  assert.ok(await waitEnded(t));
});

async function waitEnded(t: Terminal): Promise<boolean> {
  await t.waitFor(() => true);
  for (let delay = 10; delay < 5000; delay *= 2) {
    if (await t.ended()) return true;
    await new Promise((r) => setTimeout(r, delay));
  }
  return false;
}

test("start's REPL: each result is printed once, .from/.to/.type are checked when typed, .help's values are accepted", async () => {
  const t = await terminal(['start', '--port', '0', '--app-url', bot.url, '--app-id', 'tty-app']);
  await t.waitFor(/alice@example\.com\/desktop → tty-app@appspot\.com> $/m);
  await t.type('.inject presence away');
  let s = await t.waitFor(/presence available.*200/);
  assert.equal(count(s, 'presence available'), 1, `one line for one injection:\n${s}`);

  await t.type('.to someone@elsewhere.example');
  await t.type('are you there?');
  s = await t.waitFor(/not delivered/);
  await t.waitFor(/→ someone@elsewhere\.example> $/m);
  assert.equal(count(await t.screen(), 'not delivered'), 1, 'a failed delivery is printed once');
  await t.type('.to tty-app@appspot.com');

  await t.type('.clear');
  s = await t.waitFor(/cleared/);
  await t.type('.presence bob@example.com dnd');
  s = await t.waitFor(/bob@example\.com.*dnd/);
  await t.type('.who');
  s = await t.waitFor(/default:/);
  assert.equal(count(s, 'cleared'), 1, `.clear is acknowledged once:\n${s}`);
  assert.equal(
    (s.match(/bob@example\.com: available \(dnd\)/g) ?? []).length + count(s, 'bob@example.com  available (dnd)'),
    2,
    `.presence is acknowledged once (and listed by .who):\n${s}`,
  );

  for (const bad of ['.from alice@@example.com', '.from alice example.com', '.type yell']) {
    await t.type(bad);
    await t.waitFor(new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n.*(not|must|is one of)`));
  }
  s = await t.screen();
  assert.match(
    s
      .split('\n')
      .filter((l) => l.endsWith('> '))
      .pop()!,
    /^alice@example\.com\/desktop → tty-app@appspot\.com> $/,
    'a refused .from changes nothing',
  );

  await t.type('.help');
  s = await t.waitFor(/\.inject\s+\.inject presence \[([^\]]+)\]/);
  const values = /\.inject presence \[([^\]]+)\]/
    .exec(s)![1]!
    .split('|')
    .filter((v) => v !== '…');
  assert.ok(values.length >= 6, values.join(','));
  for (const v of values) {
    await t.type(`.inject presence ${v}`);
    await t.waitFor(new RegExp(`presence ${v === 'available' || ['away', 'chat', 'dnd', 'xa'].includes(v) ? 'available' : v}.*(\\d{3}|not delivered)`));
  }
  assert.doesNotMatch(await t.screen(), /error:|INVALID|BAD_REQUEST/);
  await t.keys('C-d');
  assert.ok(await waitEnded(t));
});
