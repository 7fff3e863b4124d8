// Watched files (issue 9, item 9): quick atomic saves keep being seen; a FIFO, a device or an oversized file is
// refused without blocking or growing the process; a removed file is reported. The real CLI, as a child process.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { killAll, runCli } from '../cli-process.js';
import { getJson, postJson } from '../helpers.js';

after(killAll);

const presence = (show: string): string => JSON.stringify({ subscribed: ['pat@example.com'], jids: { 'pat@example.com': { available: true, show } } });

/** Save as editors and `sed -i` do: write a new file beside it, then rename it over the old one. */
function atomicSave(file: string, text: string): void {
  const tmp = `${file}.${process.hrtime.bigint()}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

test('watched files survive quick atomic saves; FIFOs, devices and removals are reported, never block', { timeout: 60_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xmpp-emu-watch-'));
  const file = path.join(dir, 'presence.json');
  fs.writeFileSync(file, presence('away'));
  const c = runCli(['start', '--json', '--port', '0', '--no-repl', '--no-xmpp', '--presence', file]);
  const { url } = JSON.parse((await c.waitFor(/\n/)).split('\n')[0]!);
  const show = async (): Promise<string> => (await postJson(url, '/v1/xmpp/get_presence', { jid: 'pat@example.com' })).body.presence[0].show;
  const configEvents = (): Array<{ ok: boolean; message: string }> =>
    c
      .stdout()
      .split('\n')
      .filter((l) => l.includes('"type":"config"'))
      .map((l) => JSON.parse(l));
  const nextConfig = async (n: number, pattern: RegExp): Promise<{ ok: boolean; message: string }> => {
    await c.waitFor(new RegExp(`("type":"config"[\\s\\S]*){${n}}`));
    const e = configEvents()[n - 1]!;
    assert.match(e.message, pattern);
    return e;
  };
  assert.equal(await show(), 'away');
  // Five rounds of two quick saves: the last one of each round always applies.
  let seen = 0;
  for (const [a, b] of [
    ['dnd', 'xa'],
    ['chat', 'away'],
    ['xa', 'dnd'],
    ['away', 'chat'],
    ['dnd', 'xa'],
  ] as const) {
    atomicSave(file, presence(a));
    atomicSave(file, presence(b));
    for (;;) {
      await nextConfig(++seen, /reloaded/);
      if ((await show()) === b) break;
    }
  }
  // A FIFO in its place: refused at once (reading it would block the process forever).
  fs.rmSync(file);
  execFileSync('mkfifo', [file]);
  const fifo = await (async () => {
    for (;;) {
      const e = await nextConfig(++seen, /./);
      if (/not a regular file/.test(e.message)) return e;
    }
  })();
  assert.equal(fifo.ok, false);
  assert.equal((await getJson(url, '/healthz')).status, 200);
  assert.equal(await show(), 'xa', 'the last good state is kept');
  // A symlink to /dev/zero: refused, not read.
  fs.rmSync(file);
  fs.symlinkSync('/dev/zero', file);
  for (;;) {
    const e = await nextConfig(++seen, /./);
    if (/not a regular file/.test(e.message)) break;
  }
  // Removed: said so.
  fs.rmSync(file);
  for (;;) {
    const e = await nextConfig(++seen, /./);
    if (/was removed/.test(e.message)) break;
  }
  // And back: applied again.
  atomicSave(file, presence('chat'));
  for (;;) {
    await nextConfig(++seen, /./);
    if ((await show()) === 'chat') break;
  }
  const { memory } = (await getJson(url, '/v1/stats')).body;
  assert.ok(memory.rss_bytes < 1024 * 1024 * 1024, `rss ${memory.rss_bytes}`);
  c.child.kill('SIGTERM');
  assert.equal(await c.exited, 0);
  fs.rmSync(dir, { recursive: true, force: true });
});
