// `npm test` must exit non-zero on any failure. A failing test that leaves a server open (its close() never reached)
// keeps its file's process alive, and node --test waits for it forever unless told to exit once the tests are done:
// this runs the flags of package.json's own test command over such a file and expects a failing exit, not a hang.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../readme-blocks.js';

const LEAKY_FAILING_TEST = `import test from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
test('fails with a server still open', async () => {
  const server = http.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  assert.equal('seen', 'expected');
  server.close();
});
`;

/** The --test flags of the `node --test ...` in package.json's test script. */
function testRunnerFlags(): string[] {
  const { scripts } = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')) as { scripts: { test: string } };
  const run = scripts.test
    .split('&&')
    .map((part) => part.trim().split(/\s+/))
    .find((words) => words[0] === 'node' && words[1] === '--test');
  assert.ok(run, `package.json's test script runs node --test: ${scripts.test}`);
  return run.filter((word) => word.startsWith('--test'));
}

// The timeout only turns a hang (the behaviour this guards against) into a failure, and then kills the child (t.signal);
// a passing run ends in about a second.
test('the test command exits non-zero when a failing test leaves a server open, instead of waiting on it', { timeout: 60_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xmpp-emu-test-command-'));
  fs.writeFileSync(path.join(dir, 'leaky.test.mjs'), LEAKY_FAILING_TEST);
  // Without NODE_TEST_CONTEXT, which would make the child a part of this run instead of a run of its own.
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, [...testRunnerFlags(), dir], { stdio: ['ignore', 'pipe', 'pipe'], env, signal: t.signal });
  child.on('error', () => {}); // the abort at the timeout: the assertion below says what went wrong
  try {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 1, out);
    assert.match(out, /not ok \d+ - fails with a server still open/);
  } finally {
    child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
