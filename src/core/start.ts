// startEmulator(): the one start-up behind the CLI and the tests. Wires the engine to its config files, its
// transcript, its console and its HTTP server, then listens.
import type { AddressInfo } from 'node:net';
import type { FSWatcher } from 'chokidar';
import { attachPrinter, CONSOLE_WIDTH } from '../console/printer.js';
import type { ControlPort } from '../control/port.js';
import { createHttpServer } from '../http/server.js';
import { resolveOptions, type Options, type OptionsInput } from '../options.js';
import { appYamlFile, loadConfigFile, presenceFile, watchConfigFile } from './config-files.js';
import { Engine, type EngineStats } from './engine.js';
import { DEFAULT_NAMESPACE } from './namespaces.js';
import type { AppInfo, Endpoints } from './info.js';
import { Transcript } from './transcript.js';
import { flushTurnEnd } from './turn-end.js';

/** One namespace of a running emulator: its own outbox, presence, quotas, faults and clock. */
export interface NamespacedEmulator extends ControlPort {
  namespace: string;
  /** http://HOST:PORT/ns/NAME: the control API of this namespace */
  url: string;
  /** point the app here (or let the tickets of this namespace's deliveries lead its replies back) */
  env: { XMPP_EMULATOR_HOST: string };
  /** ws://HOST:PORT/ns/NAME/xmpp-websocket: real XMPP clients of this namespace (null with --no-xmpp); over TCP they
   * sign in with the SASL authorization identity ns:NAME */
  xmppWebsocket: string | null;
  /** forget this namespace (its waiters are released) */
  delete(): Promise<void>;
}

/** Where it listens (url, host, port, env) and the ControlPort, in-process, of the default namespace. */
export interface RunningEmulator extends ControlPort, Endpoints {
  options: Readonly<Options>;
  /** the seed of this run's random choices (--seed, or drawn at start): pass it back to repeat a run */
  seed: number;
  /** a namespace of its own, created on first use; without a name, a fresh one (one per test) */
  namespace(name?: string): NamespacedEmulator;
  /** what the banner, the ready line and GET /v1/info print */
  info(): AppInfo;
  /** the same counters as GET /v1/stats */
  stats(): EngineStats;
  /** the certificate STARTTLS presents (generated on the first run and kept), or null with --no-xmpp */
  xmppCertificate(): Promise<{ file: string; fingerprint: string } | null>;
  close(): Promise<void>;
}

export interface StartOptions extends OptionsInput {
  /** where the console printer writes (default process.stdout); used only when `console` is true */
  stdout?: NodeJS.WritableStream;
  /** colour in the human console format (default: whether stdout is a colour terminal) */
  color?: boolean;
}

const engines = new WeakMap<RunningEmulator, Engine>();

/** The engine behind a running emulator: for tests and benches that fill or inspect its state directly (not public). */
export function engineOf(em: RunningEmulator): Engine {
  const engine = engines.get(em);
  if (!engine) throw new Error('not an emulator started by startEmulator()');
  return engine;
}

/** Start from raw options (tests) or options already resolved (the CLI, from flags, env and config file). */
export async function startEmulator(input: StartOptions = {}): Promise<RunningEmulator> {
  const { stdout = process.stdout, color, ...rest } = input;
  const options = resolveOptions(rest);
  const engine = new Engine(options);
  const configFiles = [
    ...(options.appYaml ? [appYamlFile(engine, options.appYaml)] : []),
    ...(options.presenceFile ? [presenceFile(engine, options.presenceFile)] : []),
  ];
  for (const c of configFiles) loadConfigFile(c);
  const cleanups: Array<() => void> = [];
  if (options.record) {
    const journal = new Transcript(options.record, (body) => engine.emit(body));
    engine.space.journal = journal;
    cleanups.push(() => {
      engine.space.journal = null;
      journal.close();
    });
  }
  if (options.console) {
    const useColor = color ?? ((stdout as NodeJS.WriteStream).isTTY === true && (stdout as NodeJS.WriteStream).hasColors?.() === true);
    const width = (stdout as NodeJS.WriteStream).columns ?? CONSOLE_WIDTH;
    cleanups.push(attachPrinter((l) => engine.onEvent(l), stdout, { json: options.json, style: options.consoleStyle, color: useColor, width, hints: true }));
  }
  const watchers: FSWatcher[] = options.watch ? await Promise.all(configFiles.map((c) => watchConfigFile(c, engine))) : [];

  // Loaded only when on: the XMPP surface pulls in ws and saxes.
  const xmpp = options.xmpp ? (await import('../xmpp/endpoints.js')).createXmpp(engine, options) : null;
  const { server, closeFeed, destroyConnections } = createHttpServer(
    engine,
    xmpp ? { handlers: [xmpp.discovery], upgrades: { [xmpp.websocket.path]: xmpp.websocket.upgrade } } : {},
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (e: NodeJS.ErrnoException) => {
    await Promise.all(watchers.map((w) => w.close()));
    cleanups.forEach((c) => c());
    throw new Error(
      e.code === 'EADDRINUSE'
        ? `port ${options.port} on ${options.host} is already in use (another xmpp-emu?): stop it, or take another with --port N (0 for a free one) and give your app the XMPP_EMULATOR_HOST printed then`
        : `cannot listen on ${options.host}:${options.port}: ${e.message}`,
    );
  });
  const { port } = server.address() as AddressInfo;
  const hostForUrl = options.host.includes(':') ? `[${options.host}]` : options.host;
  const xmppPort = xmpp
    ? await xmpp.listen().catch(async (e: Error) => {
        await new Promise((resolve) => server.close(resolve));
        await xmpp.close();
        await Promise.all(watchers.map((w) => w.close()));
        cleanups.forEach((c) => c());
        throw e;
      })
    : null;
  const endpoints = {
    url: `http://${hostForUrl}:${port}`,
    host: options.host,
    port,
    env: { XMPP_EMULATOR_HOST: `${hostForUrl}:${port}`, API_HOST: hostForUrl, API_PORT: String(port) },
    xmppPort,
    xmppWebsocket: xmpp ? `ws://${hostForUrl}:${port}${xmpp.websocket.path}` : null,
  };
  engine.setEndpoints(endpoints);

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await xmpp?.close();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      closeFeed();
      // In-flight deliveries get their timeout; then every client connection is ended, however it behaves.
      await engine.close();
      await Promise.all(watchers.map((w) => w.close()));
      // Long-polls the engine released answer within the promise jobs now queued ("the emulator shut down after N
      // ms"); one turn of the loop lets them write that answer before their connections are ended.
      await new Promise((resolve) => setImmediate(resolve));
      // Calls read since engine.close() are answered before their connections end (core/turn-end.ts).
      flushTurnEnd();
      server.closeAllConnections();
      destroyConnections();
      await stopped;
      cleanups.forEach((c) => c());
    })());

  let fresh = 0;
  const namespace = (name = `test-${process.pid}-${++fresh}`): NamespacedEmulator => {
    engine.inNamespace(name);
    const prefix = `/ns/${encodeURIComponent(name)}`;
    return {
      ...portOf(() => engine.inNamespace(name), name),
      namespace: name,
      url: `${endpoints.url}${prefix}`,
      env: { XMPP_EMULATOR_HOST: `${endpoints.env.XMPP_EMULATOR_HOST}${prefix}` },
      xmppWebsocket: xmpp ? `ws://${hostForUrl}:${port}${prefix}${xmpp.websocket.path}` : null,
      delete: async () => void engine.space.delete(name),
    };
  };
  const running: RunningEmulator = {
    ...endpoints,
    ...portOf(() => engine, null),
    options,
    seed: engine.space.seed,
    namespace,
    info: () => engine.info(),
    stats: () => engine.stats(),
    xmppCertificate: async () => (xmpp ? xmpp.certificate().then((c) => ({ file: c.certFile, fingerprint: c.fingerprint })) : null),
    close,
  };
  engines.set(running, engine);
  return running;
}

/**
 * The ControlPort of one namespace, the engine looked up on each call. `only`: the namespace whose events
 * onEvent passes (null: every namespace's, for the default port).
 */
function portOf(engine: () => Engine, only: string | null): ControlPort {
  return {
    injectMessage: (m) => engine().injectMessage(m),
    injectPresence: (p) => engine().injectPresence(p),
    injectSubscription: (s) => engine().injectSubscription(s),
    injectError: (e) => engine().injectError(e),
    outbox: (filter) => engine().outbox(filter),
    waitFor: (o) => engine().waitFor(o),
    clearOutbox: () => engine().clearOutbox(),
    setPresence: (jid, state) => engine().setPresence(jid, state),
    listPresence: () => engine().listPresence(),
    lastOutboxId: () => engine().lastOutboxId(),
    onEvent: (l) => engine().onEvent(only === null ? l : (e) => (e.namespace ?? DEFAULT_NAMESPACE) === only && l(e)),
    expectNone: (o) => engine().expectNone(o),
    expectSequence: (o) => engine().expectSequence(o),
    addFault: (rule) => engine().addFault(rule),
    listFaults: () => engine().listFaults(),
    removeFault: (id) => engine().removeFault(id),
    clearFaults: () => engine().clearFaults(),
    setClock: (change) => engine().setClock(change),
    reset: () => engine().reset(),
  };
}
