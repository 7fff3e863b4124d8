// The test helper isolates each test by default: 8 `node --test` processes at once, each with several tests written
// with emulatorPerTest() and no namespace named, drive one emulator and the sample bot; none sees another's entries,
// and every namespace is deleted when its test ends.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import type { RunningEmulator } from '../../src/index.js';
import { emulatorPerTest, type TestHooks } from '../../src/testing.js';
import { startStack, type Stack } from '../e2e/xmpp-stack.js';
import { getJson } from '../helpers.js';

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'per-test-worker.js');
const WORKERS = 8;

let stack: Stack;
let em: RunningEmulator;
before(async () => {
  // The sample bot replies through the SDK, which sends each delivery's ticket back: that leads a reply to its namespace.
  stack = await startStack();
  em = stack.em;
});
after(() => stack.close());

test(`${WORKERS} node --test processes, tests written without a namespace: none sees another's entries`, async () => {
  // A `node --test` of its own, as a user runs it (not a child reporting to this runner).
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const runs = Array.from({ length: WORKERS }, (_, i) =>
    promisify(execFile)(process.execPath, ['--test', '--test-reporter=tap', WORKER], { env: { ...env, EMULATOR_URL: em.url, WORKER: String(i) } }).catch(
      (e: { stdout?: string; stderr?: string }) => {
        throw new Error(`worker ${i} failed:\n${e.stdout}\n${e.stderr}`);
      },
    ),
  );
  for (const { stdout } of await Promise.all(runs)) {
    assert.match(stdout, /^# pass 3$/m);
    assert.match(stdout, /^# fail 0$/m);
  }
  assert.deepEqual(await em.outbox(), [], 'the default namespace saw nothing');
  const { body } = await getJson(em.url, '/v1/namespaces');
  assert.deepEqual(
    body.namespaces.map((n: { name: string }) => n.name),
    ['default'],
    'each namespace was deleted after its test',
  );
});

/** Hooks as Jest, Vitest and Mocha pass them: the test below plays the runner. */
function fakeRunner(): TestHooks & { run(test: () => Promise<void>): Promise<void>; overlap(): Promise<void>; endAll(): Promise<void> } {
  const before: Array<() => Promise<void>> = [];
  const after: Array<() => Promise<void>> = [];
  return {
    beforeEach: (fn) => before.push(fn),
    afterEach: (fn) => after.push(fn),
    async run(t) {
      for (const fn of before) await fn();
      try {
        await t();
      } finally {
        for (const fn of after) await fn();
      }
    },
    async overlap() {
      for (const fn of [...before, ...before]) await fn();
    },
    async endAll() {
      for (const fn of [...after, ...after]) await fn();
    },
  };
}

test('with Jest/Vitest/Mocha hooks: a fresh namespace per test, deleted after; outside a test or with overlapping tests it refuses', async () => {
  const runner = fakeRunner();
  const emulator = emulatorPerTest(() => em, runner);
  await assert.rejects(async () => emulator.outbox(), /no test is running/);
  const names: string[] = [];
  for (const round of [1, 2]) {
    await runner.run(async () => {
      names.push(emulator.namespace);
      assert.deepEqual(await emulator.outbox(), []);
      await emulator.injectMessage({ from: 'alice@example.com', body: 'hello' });
      assert.equal((await emulator.waitFor({ to: 'alice@example.com' })).body, 'Greetings!');
      assert.equal(emulator.env.XMPP_EMULATOR_HOST, `${em.env.XMPP_EMULATOR_HOST}/ns/${emulator.namespace}`);
      assert.equal(emulator.url, `${em.url}/ns/${emulator.namespace}`);
      assert.ok(round);
    });
  }
  assert.notEqual(names[0], names[1]);
  const listed = ((await getJson(em.url, '/v1/namespaces')).body.namespaces as Array<{ name: string }>).map((n) => n.name);
  assert.ok(!names.some((n) => listed.includes(n)), 'deleted after each test');
  await runner.overlap();
  assert.throws(() => emulator.namespace, /2 tests of this file run at once.*forTest/);
  const own = await emulator.forTest({ after: () => undefined });
  assert.deepEqual(await own.outbox(), []);
  await own.delete();
  await runner.endAll();
});

test('a remote target (another process): forTest(t) gives a namespace deleted when t ends', async (t) => {
  const emulator = emulatorPerTest(em.url, fakeRunner());
  let name = '';
  await t.test('inner', async (inner) => {
    const ns = await emulator.forTest(inner);
    name = ns.namespace;
    await ns.injectMessage({ from: 'bob@example.com', body: 'hello' });
    assert.equal((await ns.waitFor({ to: 'bob@example.com' })).body, 'Greetings!');
    assert.equal(ns.xmppWebsocket, `${em.url.replace('http', 'ws')}/ns/${name}/xmpp-websocket`);
  });
  const listed = ((await getJson(em.url, '/v1/namespaces')).body.namespaces as Array<{ name: string }>).map((n) => n.name);
  assert.ok(name && !listed.includes(name));
});
