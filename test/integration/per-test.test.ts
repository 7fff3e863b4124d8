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
const OVERLAP_WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'per-test-overlap-worker.js');
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

const namespaces = async (): Promise<string[]> => ((await getJson(em.url, '/v1/namespaces')).body.namespaces as Array<{ name: string }>).map((n) => n.name);

test('node:test tests that overlap: each namespace is deleted when its own test ends, none is left or made again', async () => {
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const { stdout } = await promisify(execFile)(process.execPath, ['--test', '--test-reporter=tap', OVERLAP_WORKER], { env: { ...env, EMULATOR_URL: em.url } });
  assert.match(stdout, /^# pass 4$/m);
  assert.deepEqual(await namespaces(), ['default']);
});

/** How a runner tells a hook which test it runs for. */
type Style = 'node:test/Vitest' | 'Mocha' | 'Jest' | 'none';

/** Hooks as node:test, Vitest, Mocha and Jest call them (or a runner that says nothing): the test plays the runner. */
function fakeRunner(
  style: Style = 'node:test/Vitest',
): TestHooks & { start(): Promise<{ end(): Promise<void> }>; run(test: () => Promise<void>): Promise<void> } {
  type Hook = (this: unknown, ...args: unknown[]) => Promise<void>;
  const before: Hook[] = [];
  const after: Hook[] = [];
  const mochaContext: { currentTest?: object } = {};
  const call = async (hooks: Hook[], test: object): Promise<void> => {
    for (const fn of hooks) {
      if (style === 'node:test/Vitest') await fn.call(undefined, test);
      else if (style === 'Mocha') {
        mochaContext.currentTest = test;
        await fn.call(mochaContext);
      } else await fn.call(style === 'Jest' ? test : undefined);
    }
  };
  const runner = {
    beforeEach: (fn: Hook) => before.push(fn),
    afterEach: (fn: Hook) => after.push(fn),
    async start() {
      const test = { name: 'a test' };
      await call(before, test);
      return { end: () => call(after, test) };
    },
    async run(t: () => Promise<void>) {
      const { end } = await runner.start();
      try {
        await t();
      } finally {
        await end();
      }
    },
  };
  return runner;
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
  const listed = await namespaces();
  assert.ok(!names.some((n) => listed.includes(n)), 'deleted after each test');
  const [a, b] = [await runner.start(), await runner.start()];
  assert.throws(() => emulator.namespace, /2 tests of this file run at once.*forTest/);
  const own = await emulator.forTest({ after: () => undefined });
  assert.deepEqual(await own.outbox(), []);
  await own.delete();
  await a.end();
  await b.end();
  assert.deepEqual(await namespaces(), ['default']);
});

for (const style of ['node:test/Vitest', 'Mocha', 'Jest'] as const) {
  test(`overlapping tests (${style} hooks): afterEach deletes the namespace of the test that ended, not another`, async () => {
    const runner = fakeRunner(style);
    const perTest = emulatorPerTest(em.url, runner);
    const first = await runner.start();
    const firstName = perTest.namespace;
    const second = await runner.start();
    const secondName = (await namespaces()).find((n) => n !== 'default' && n !== firstName)!;
    assert.ok(secondName);
    await second.end();
    assert.deepEqual(await namespaces(), ['default', firstName].sort(), 'the first test still runs in its namespace');
    assert.equal(perTest.namespace, firstName, 'the one test left is the current one again');
    assert.deepEqual(await perTest.outbox(), []);
    await first.end();
    assert.deepEqual(await namespaces(), ['default']);
  });
}

test('a runner that does not tell its tests apart: an overlapping test is refused in its beforeEach, with the reason', async () => {
  const runner = fakeRunner('none');
  emulatorPerTest(em.url, runner);
  const first = await runner.start();
  await assert.rejects(runner.start(), /does not tell their hooks apart.*forTest/);
  await first.end();
  assert.deepEqual(await namespaces(), ['default']);
});

test('a deleted namespace is not made again: delete() waits for the calls in flight, a call after it refuses', async () => {
  const ns = await emulatorPerTest(em.url, fakeRunner()).forTest();
  const inFlight = ns.outbox();
  const deleted = ns.delete();
  await assert.rejects(ns.outbox(), new RegExp(`outbox\\(\\): the namespace ${ns.namespace} is deleted`));
  assert.deepEqual(await inFlight, []);
  await deleted;
  assert.ok(!(await namespaces()).includes(ns.namespace));
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
