// The console under a burst (console/printer.ts gathers its lines under load): every line arrives once and in order,
// and none is lost when the process is stopped right after the last call was answered.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, test } from 'node:test';
import { CONSOLE_BACKLOG_MAX } from '../../src/console/printer.js';
import { killAll, runCli, type Cli } from '../cli-process.js';

after(killAll);

const N = 400;
const WORKERS = 16;

/** n sends from WORKERS callers at once; resolves once every one was answered 200. */
async function burst(url: string, n = N, pad = ''): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      while (next < n) {
        const i = next++;
        const r = await fetch(`${url}/v1/xmpp/send_message`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ jids: 'burst@example.com', body: `burst ${i}${pad}` }),
        });
        assert.equal(r.status, 200, await r.text());
      }
    }),
  );
}

test('start --json: a burst of sends, SIGTERM right after the last answer: every `sent` line once, in the order of the events', async () => {
  const c = runCli(['start', '--json', '--port', '0', '--no-repl']);
  const ready = JSON.parse((await c.waitFor(/\n/)).split('\n')[0]!) as { url: string };
  await burst(ready.url);
  c.child.kill('SIGTERM');
  assert.equal(await c.exited, 0);
  const events = c
    .stdout()
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => JSON.parse(l) as { type?: string; seq?: number; entry?: { body: string } })
    .filter((e) => e.type !== undefined);
  const sent = events.filter((e) => e.type === 'sent');
  assert.equal(sent.length, N);
  assert.deepEqual(new Set(sent.map((e) => e.entry!.body)), new Set(Array.from({ length: N }, (_, i) => `burst ${i}`)));
  const seqs = events.map((e) => e.seq!);
  assert.ok(
    seqs.every((s, k) => k === 0 || s > seqs[k - 1]!),
    'events in the order they happened',
  );
});

test('start (human lines): a burst of sends, SIGTERM right after the last answer: one line per send, none lost', async () => {
  const c = runCli(['start', '--port', '0', '--no-repl']);
  const port = /XMPP_EMULATOR_HOST=\S+:(\d+)/.exec(await c.waitFor(/XMPP_EMULATOR_HOST=\S+:\d+/))![1]!;
  await burst(`http://127.0.0.1:${port}`);
  c.child.kill('SIGTERM');
  assert.equal(await c.exited, 0);
  const out = c.stdout();
  for (let i = 0; i < N; i++) assert.equal(out.split(`"burst ${i}"`).length - 1, 1, `the line of send ${i}`);
});

/** start --json with the test as a reader that stops reading stdout once the ready line is in. */
async function pausedReader(): Promise<{ c: Cli; url: string }> {
  const c = runCli(['start', '--json', '--port', '0', '--no-repl', '--no-ui', '--no-xmpp']);
  const ready = JSON.parse((await c.waitFor(/\n/)).split('\n')[0]!) as { url: string };
  // Paused, the pipe fills (64 KB in the kernel, a little in our stream) and the CLI's writes queue in the CLI.
  c.child.stdout.pause();
  return { c, url: ready.url };
}

function jsonLines(c: Cli): Array<{ type?: string; event?: string; lines?: number; seq?: number; entry?: { body: string } }> {
  return c
    .stdout()
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => JSON.parse(l) as { type?: string });
}

test('start --json to a reader that stopped reading: SIGTERM after the last answer, reading resumed once the emulator closed: every `sent` line once, in order', async () => {
  const { c, url } = await pausedReader();
  const n = 2000;
  // ~1 MB of lines: far more than the pipe holds, less than the console's backlog cap (nothing is dropped).
  await burst(url, n, ` ${'y'.repeat(200)}`);
  // A connection holding a half-sent request is ended when the emulator has closed, just before the CLI exits.
  const held = net.connect(Number(new URL(url).port), '127.0.0.1');
  await new Promise((resolve) => held.once('connect', resolve));
  held.write('POST /v1/xmpp/send_message HTTP/1.1\r\nHost: x\r\n');
  const closed = new Promise((resolve) => held.once('close', resolve));
  held.on('error', () => undefined);
  c.child.kill('SIGTERM');
  await closed;
  c.child.stdout.resume();
  assert.equal(await c.exited, 0, c.stderr());
  const events = jsonLines(c).filter((e) => e.type !== undefined);
  const sent = events.filter((e) => e.type === 'sent');
  assert.equal(sent.length, n, `sent lines read: ${sent.length} of ${n}`);
  assert.deepEqual(new Set(sent.map((e) => e.entry!.body.split(' ')[1])), new Set(Array.from({ length: n }, (_, i) => String(i))));
  const seqs = events.map((e) => e.seq!);
  assert.ok(
    seqs.every((s, k) => k === 0 || s > seqs[k - 1]!),
    'events in the order they happened',
  );
  assert.equal(c.stderr(), '');
});

test('start --json to a reader that stopped reading: past the backlog cap lines are dropped and counted, and one line says so once the reader catches up', async () => {
  const { c, url } = await pausedReader();
  const n = 160;
  const pad = ` ${'z'.repeat(50_000)}`;
  // 160 lines of ~50 KB: ~8 MB, about twice the cap.
  await burst(url, n, pad);
  c.child.stdout.resume();
  await c.waitFor(/"event":"console\.dropped"/, 'stdout', 30_000);
  c.child.kill('SIGTERM');
  assert.equal(await c.exited, 0, c.stderr());
  const lines = jsonLines(c);
  const sent = lines.filter((e) => e.type === 'sent');
  const notices = lines.filter((e) => e.event === 'console.dropped');
  assert.equal(notices.length, 1, 'one notice');
  const dropped = notices[0]!.lines!;
  assert.ok(dropped > 0);
  // Never a silent drop: every send is a line or counted in the notice.
  assert.equal(sent.length + dropped, n, `${sent.length} lines + ${dropped} dropped`);
  // Bounded: what was kept while nobody read is at most the cap plus what the pipe and our paused stream held.
  const keptBytes = sent.length * pad.length;
  assert.ok(keptBytes <= CONSOLE_BACKLOG_MAX + 1024 * 1024, `${keptBytes} bytes kept while stdout was not read`);
  // The lines kept are the first ones, each once, in order, and the notice comes after them.
  assert.ok(
    sent.every((e, k) => e.seq === sent[0]!.seq! + k),
    'the first lines, in order',
  );
  assert.equal(lines.indexOf(notices[0]!), lines.indexOf(sent.at(-1)!) + 1, 'the notice follows the last line kept');
});
