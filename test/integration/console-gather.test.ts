// The console under a burst (console/printer.ts gathers its lines under load): every line arrives once and in order,
// and none is lost when the process is stopped right after the last call was answered.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { killAll, runCli } from '../cli-process.js';

after(killAll);

const N = 400;
const WORKERS = 16;

/** N sends from WORKERS callers at once; resolves once every one was answered 200. */
async function burst(url: string): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      while (next < N) {
        const i = next++;
        const r = await fetch(`${url}/v1/xmpp/send_message`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ jids: 'burst@example.com', body: `burst ${i}` }),
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
