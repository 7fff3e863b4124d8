// startEmulator(): the one engine behind the CLI and the tests.
import type { AddressInfo } from 'node:net';
import type { FSWatcher } from 'chokidar';
import { appYamlFile, loadConfigFile, presenceFile, watchConfigFile } from './core/config-files.js';
import { Emulator } from './core/emulator.js';
import type { DeliveryResult, EventListener, OutboxEntry } from './core/events.js';
import type { OutboxFilter } from './core/outbox.js';
import { recordTranscript } from './core/transcript.js';
import { attachPrinter, CONSOLE_WIDTH } from './console/printer.js';
import type { PresenceListing, PresenceState } from './domain/presence.js';
import { createHttpServer } from './http/server.js';
import { resolveOptions, type Options, type OptionsInput } from './options.js';
import { TimeoutError } from './domain/errors.js';

export type { Options, OptionsInput } from './options.js';
export type { DeliveryResult, EmulatorEvent, OutboxEntry, OutboxKind } from './core/events.js';
export type { OutboxFilter } from './core/outbox.js';
export type { PresenceState, PresenceListing } from './domain/presence.js';
export { XmppError } from './domain/errors.js';
export { Emulator } from './core/emulator.js';

export interface InboundMessage { from: string; to?: string; body: string; type?: string }
export interface InboundPresence { from: string; to?: string; type?: 'available' | 'unavailable' | 'probe'; show?: string; status?: string }
export interface InboundSubscription { from: string; to?: string; type: 'subscribe' | 'subscribed' | 'unsubscribe' | 'unsubscribed' }
export interface InboundError { from: string; to?: string; stanza?: string }

export interface WaitOptions extends OutboxFilter {
  /** default 5000 */
  timeoutMs?: number;
}

/** What the REPL, the conversation runner and tests drive: the same methods in-process or over HTTP. */
export interface ControlPort {
  injectMessage(m: InboundMessage): Promise<DeliveryResult>;
  injectPresence(p: InboundPresence): Promise<DeliveryResult>;
  injectSubscription(s: InboundSubscription): Promise<DeliveryResult>;
  injectError(e: InboundError): Promise<DeliveryResult>;
  outbox(filter?: OutboxFilter): Promise<OutboxEntry[]>;
  /** the first matching entry, already captured or yet to come; rejects with a TimeoutError */
  waitFor(options: WaitOptions): Promise<OutboxEntry>;
  clearOutbox(): Promise<number>;
  setPresence(jid: string, state: string | { available?: boolean; show?: string; status?: string; subscribed?: boolean }): Promise<PresenceState & { subscribed: boolean }>;
  listPresence(): Promise<PresenceListing>;
  /** the id of the newest outbox entry (0 when none): pass it as `since` to wait only for what comes next */
  lastOutboxId(): Promise<number>;
  onEvent(listener: EventListener): () => void;
}

export interface RunningEmulator extends ControlPort {
  /** http://HOST:PORT */
  url: string;
  host: string;
  port: number;
  /** the environment an app needs to reach this emulator */
  env: { XMPP_EMULATOR_HOST: string };
  options: Readonly<Options>;
  emulator: Emulator;
  stats(): ReturnType<Emulator['quotas']['snapshot']>;
  close(): Promise<void>;
}

export interface StartOptions extends OptionsInput {
  /** where the console printer writes (default process.stdout); used only when `console` is true */
  stdout?: NodeJS.WritableStream;
  /** colour in the human console format (default: whether stdout is a colour terminal) */
  color?: boolean;
}

export async function startEmulator(input: StartOptions = {}): Promise<RunningEmulator> {
  const { stdout = process.stdout, color, ...rest } = input;
  const options = resolveOptions(rest);
  return startResolved(options, { stdout, color });
}

/** Start from options already resolved (the CLI resolves flags, env and config file itself). */
export async function startResolved(
  options: Readonly<Options>,
  io: { stdout?: NodeJS.WritableStream; color?: boolean } = {},
): Promise<RunningEmulator> {
  const emulator = new Emulator(options);
  const stdout = io.stdout ?? process.stdout;
  const configFiles = [
    ...(options.appYaml ? [appYamlFile(emulator, options.appYaml)] : []),
    ...(options.presence ? [presenceFile(emulator, options.presence)] : []),
  ];
  for (const c of configFiles) loadConfigFile(c);
  const cleanups: Array<() => void> = [];
  if (options.record) cleanups.push(recordTranscript(emulator, options.record));
  if (options.console) {
    const color = io.color ?? ((stdout as NodeJS.WriteStream).isTTY === true && (stdout as NodeJS.WriteStream).hasColors?.() === true);
    const width = (stdout as NodeJS.WriteStream).columns ?? CONSOLE_WIDTH;
    cleanups.push(attachPrinter((l) => emulator.on(l), stdout, { json: options.json, style: options.consoleStyle, color, width }));
  }
  const watchers: FSWatcher[] = options.watch ? await Promise.all(configFiles.map((c) => watchConfigFile(c, emulator))) : [];

  const { server, closeFeed } = createHttpServer(emulator);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (e: NodeJS.ErrnoException) => {
    await Promise.all(watchers.map((w) => w.close()));
    cleanups.forEach((c) => c());
    throw new Error(e.code === 'EADDRINUSE' ? `port ${options.port} on ${options.host} is already in use (try --port 0 for a free one)` : `cannot listen on ${options.host}:${options.port}: ${e.message}`);
  });
  const { port } = server.address() as AddressInfo;
  const hostForUrl = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `http://${hostForUrl}:${port}`;

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      closeFeed();
      await emulator.close();
      await Promise.all(watchers.map((w) => w.close()));
      server.closeAllConnections();
      await stopped;
      cleanups.forEach((c) => c());
    })());

  const port_: ControlPort = inProcessPort(emulator);
  return {
    ...port_,
    url,
    host: options.host,
    port,
    env: { XMPP_EMULATOR_HOST: `${hostForUrl}:${port}` },
    options,
    emulator,
    stats: () => emulator.quotas.snapshot(),
    close,
  };
}

function inProcessPort(emulator: Emulator): ControlPort {
  return {
    injectMessage: (m) => emulator.inject('message', m),
    injectPresence: (p) => emulator.inject('presence', p),
    injectSubscription: (s) => emulator.inject('subscription', s),
    injectError: (e) => emulator.inject('error', e),
    outbox: (filter = {}) => emulator.outbox.collect(filter),
    waitFor: async ({ timeoutMs = 5000, ...filter }) => {
      const entry = await emulator.outbox.wait(filter, timeoutMs);
      if (!entry) throw new TimeoutError(`no outbox entry matched ${describeFilter(filter)} within ${timeoutMs} ms`);
      return entry;
    },
    clearOutbox: async () => emulator.clearOutbox(),
    setPresence: async (jid, state) => emulator.setPresence(jid, state),
    listPresence: async () => emulator.presence.list(),
    lastOutboxId: async () => emulator.outbox.lastId,
    onEvent: (l) => emulator.on(l),
  };
}

export function describeFilter(f: OutboxFilter): string {
  const parts = Object.entries(f)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v instanceof RegExp ? v.toString() : JSON.stringify(v)}`);
  return parts.length ? `{${parts.join(', ')}}` : 'anything';
}
