// xmpp-emu/testing: each test gets a namespace of its own without asking. emulatorPerTest() hooks into the test
// runner (node:test by default; Jest, Vitest and Mocha through their beforeEach/afterEach), makes a fresh namespace
// before each test and deletes it after, and its methods drive the namespace of the test now running. Tests in one
// file, in parallel workers or other processes, sharing one emulator never see each other's outbox, presence, quotas,
// faults, clock or feed.
import { createRequire } from 'node:module';
import type { ControlPort } from './control/port.js';
import { RemoteControl } from './control/remote.js';
import type { NamespacedEmulator, RunningEmulator } from './core/start.js';

/**
 * The two hooks of a test runner: node:test's by default; pass `{ beforeEach, afterEach }` from Jest, Vitest or Mocha.
 * Each hook is told which test it runs for, as the runner says it: node:test and Vitest pass the test's context as
 * the first argument, Mocha sets `this.currentTest`, Jest (circus) calls both hooks of a test with the same `this`.
 */
export interface TestHooks {
  beforeEach(fn: (this: unknown, ...args: unknown[]) => Promise<void>): unknown;
  afterEach(fn: (this: unknown, ...args: unknown[]) => Promise<void>): unknown;
}

/** One test's namespace: the emulator's methods for that namespace only, where it is, and `delete()` (done for you
 * after each test; a call after it refuses, and it waits for the calls still in flight). */
export type TestNamespace = NamespacedEmulator;

/** What a test file drives: the namespace of the test now running. */
export interface PerTestEmulator extends TestNamespace {
  /**
   * A namespace for one test of several running at once in this file (node:test `{ concurrency }`,
   * `test.concurrent`): deleted when `t` ends when it can say so (node:test's `t.after`, Vitest's
   * `onTestFinished`), else by your `delete()`.
   */
  forTest(t?: { after?(fn: () => unknown): unknown; onTestFinished?(fn: () => unknown): unknown }): Promise<TestNamespace>;
}

/** A running emulator in this process, or one elsewhere: its URL (HOST:PORT works too) or a RemoteControl. */
export type EmulatorTarget = RunningEmulator | RemoteControl | string;

const METHODS = [
  'injectMessage',
  'injectPresence',
  'injectSubscription',
  'injectError',
  'outbox',
  'waitFor',
  'clearOutbox',
  'setPresence',
  'listPresence',
  'lastOutboxId',
  'onEvent',
  'expectNone',
  'expectSequence',
  'addFault',
  'listFaults',
  'removeFault',
  'clearFaults',
  'setClock',
  'reset',
] as const satisfies ReadonlyArray<keyof ControlPort>;
// Every method of the ControlPort is listed: a new one that is not fails to compile here.
const everyMethod: Exclude<keyof ControlPort, (typeof METHODS)[number]> extends never ? true : never = true;
void everyMethod;

/**
 * Each test its own namespace: call once per test file (at its top, or in a describe), with the emulator or a
 * function that answers it once it is started (in `before`). The namespace is made before each test and deleted
 * after it; outside a test, or when tests of the file overlap, the methods refuse with a reason.
 */
export function emulatorPerTest(target: EmulatorTarget | (() => EmulatorTarget), hooks: TestHooks = nodeTestHooks()): PerTestEmulator {
  // Keyed by the test, so that afterEach deletes the namespace of the test that ended, also when tests overlap.
  const running = new Map<object, TestNamespace>();
  // The functions have no declared parameters: Mocha and Jest take a function with one for a callback-style hook.
  hooks.beforeEach(async function (this: unknown, ...args: unknown[]) {
    const test = testOf(this, args);
    if (running.has(test)) throw new Error(OVERLAP_UNNAMED);
    const ns = await open(typeof target === 'function' ? target() : target);
    if (running.has(test)) {
      await ns.delete();
      throw new Error(OVERLAP_UNNAMED);
    }
    running.set(test, ns);
  });
  hooks.afterEach(async function (this: unknown, ...args: unknown[]) {
    const test = testOf(this, args);
    const done = running.get(test);
    if (!done) return;
    running.delete(test);
    await done.delete();
  });
  const current = (): TestNamespace => {
    if (running.size === 1) return running.values().next().value!;
    throw new Error(
      running.size === 0
        ? 'no test is running: the per-test namespace is made before each test; call this inside a test'
        : `${running.size} tests of this file run at once, so "this test's namespace" is ambiguous: use \`const ns = await emulator.forTest(t)\` in each`,
    );
  };
  const port = Object.fromEntries(
    METHODS.map((m) => [m, refusing(m, (...args) => (current()[m] as (...a: unknown[]) => unknown)(...args))]),
  ) as unknown as ControlPort;
  return {
    ...port,
    get namespace() {
      return current().namespace;
    },
    get url() {
      return current().url;
    },
    get env() {
      return current().env;
    },
    get xmppWebsocket() {
      return current().xmppWebsocket;
    },
    delete: () => current().delete(),
    async forTest(t) {
      const ns = await open(typeof target === 'function' ? target() : target);
      const dispose = (): Promise<void> => ns.delete();
      if (typeof t?.after === 'function') t.after(dispose);
      else if (typeof t?.onTestFinished === 'function') t.onTestFinished(dispose);
      return ns;
    },
  };
}

/** Hooks that say nothing of their test (a runner that passes neither a context nor a per-test `this`). */
const UNNAMED = Object.freeze({});
const OVERLAP_UNNAMED =
  'two tests of this file overlap and the runner does not tell their hooks apart (no test context, no per-test `this`): run them one at a time, or use `const ns = await emulator.forTest(t)` in each';

/** The test a hook runs for: node:test's and Vitest's context (first argument), Mocha's `this.currentTest`, Jest's
 * per-test `this`; else one shared key, and overlapping tests are refused. */
function testOf(self: unknown, args: unknown[]): object {
  const [context] = args;
  if (typeof context === 'object' && context !== null) return context;
  const mocha = (self as { currentTest?: unknown } | undefined)?.currentTest;
  if (typeof mocha === 'object' && mocha !== null) return mocha;
  if (typeof self === 'object' && self !== null && self !== globalThis) return self;
  return UNNAMED;
}

/** node:test's hooks, loaded only when no others are given (a Jest or Vitest run never loads node:test). */
function nodeTestHooks(): TestHooks {
  const { beforeEach, afterEach } = createRequire(import.meta.url)('node:test') as typeof import('node:test');
  return { beforeEach, afterEach };
}

/** A fresh namespace of the target, in process or over HTTP; see `guarded`. */
async function open(target: EmulatorTarget): Promise<TestNamespace> {
  return guarded(await make(target));
}

/**
 * A namespace whose calls are counted: delete() first waits for the calls in flight, and a call after it refuses.
 * Every call makes its namespace if it does not exist, so a call that reached the emulator after the delete would
 * silently bring back a namespace nobody deletes.
 */
function guarded(ns: TestNamespace): TestNamespace {
  const inFlight = new Set<Promise<unknown>>();
  let deleting: Promise<void> | undefined;
  const methods = Object.fromEntries(
    METHODS.map((m) => [
      m,
      refusing(m, (...args) => {
        if (deleting) throw new Error(`${m}(): the namespace ${ns.namespace} is deleted (its test ended); a call now would make it again`);
        const result = (ns[m] as (...a: unknown[]) => unknown)(...args);
        if (result instanceof Promise) {
          inFlight.add(result);
          const settled = (): boolean => inFlight.delete(result);
          result.then(settled, settled);
        }
        return result;
      }),
    ]),
  ) as unknown as ControlPort;
  return {
    ...ns,
    ...methods,
    delete: () =>
      (deleting ??= (async () => {
        await Promise.allSettled([...inFlight]);
        await ns.delete();
      })()),
  };
}

/** A fresh namespace of the target, in process or over HTTP. */
async function make(target: EmulatorTarget): Promise<TestNamespace> {
  if (typeof target === 'string' || target instanceof RemoteControl) {
    const remote = (typeof target === 'string' ? new RemoteControl(target) : target).namespace();
    // Made now, so that a wrong address fails in the hook, not in the middle of the test.
    await remote.setClock();
    const url = remote.base;
    return Object.assign(bind(remote), {
      namespace: decodeURIComponent(url.slice(url.lastIndexOf('/') + 1)),
      url,
      env: { XMPP_EMULATOR_HOST: url.replace(/^https?:\/\//, '') },
      xmppWebsocket: `${url.replace(/^http/, 'ws')}/xmpp-websocket`,
      delete: async () => void (await remote.deleteNamespace()),
    });
  }
  const ns = target.namespace();
  return { ...ns };
}

/** A method whose refusal comes as its promise's rejection (only onEvent, which returns no promise, throws). */
function refusing(m: (typeof METHODS)[number], fn: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown {
  if (m === 'onEvent') return fn;
  return (...args) => {
    try {
      return fn(...args);
    } catch (e) {
      return Promise.reject(e);
    }
  };
}

/** The ControlPort methods of an object, bound to it (a class's methods live on its prototype). */
function bind(port: ControlPort): ControlPort {
  return Object.fromEntries(METHODS.map((m) => [m, (port[m] as (...a: unknown[]) => unknown).bind(port)])) as unknown as ControlPort;
}
