// Plumbing for the real-client tests: the sample bot and an emulator on free ports, and an @xmpp/client factory.
import os from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import { startEchoBot, type RunningBot } from '../../fixtures/echo-bot/bot.js';
import type { EmulatorEvent } from '../../src/core/events.js';
import { startEmulator, type RunningEmulator, type StartOptions } from '../../src/index.js';

// @xmpp/client 0.14 calls the global WebSocket, which Node 20 lacks.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

export interface Stack {
  em: RunningEmulator;
  bot: RunningBot;
  stateDir: string;
  close(): Promise<void>;
}

/**
 * The echo bot and an emulator delivering to it. The generated certificate is kept in one temporary state dir shared
 * by test runs (generating one takes half a second of CPU), never in the user's own.
 */
export async function startStack(options: StartOptions = {}): Promise<Stack> {
  const client = { host: '' };
  const bot = await startEchoBot({ port: 0, client });
  const stateDir = path.join(os.tmpdir(), 'xmpp-emu-test-state');
  const em = await startEmulator({ port: 0, appUrl: bot.url, appYaml: null, stateDir, ...options });
  client.host = em.env.XMPP_EMULATOR_HOST;
  return {
    em,
    bot,
    stateDir,
    async close() {
      await em.close();
      await bot.close();
    },
  };
}

/** The next event that satisfies `match`. */
export function nextEvent<T extends EmulatorEvent>(em: RunningEmulator, match: (e: EmulatorEvent) => e is T): Promise<T>;
export function nextEvent(em: RunningEmulator, match: (e: EmulatorEvent) => boolean): Promise<EmulatorEvent>;
export function nextEvent(em: RunningEmulator, match: (e: EmulatorEvent) => boolean): Promise<EmulatorEvent> {
  return new Promise((resolve) => {
    const off = em.onEvent((e) => {
      if (!match(e)) return;
      off();
      resolve(e);
    });
  });
}

/** A service call as the app makes it; in a namespace when named. */
export async function serviceCall(em: RunningEmulator, call: string, body: unknown, namespace?: string): Promise<any> {
  const res = await fetch(`${namespace === undefined ? em.url : em.namespace(namespace).url}/v1/xmpp/${call}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${call}: ${JSON.stringify(json)}`);
  return json;
}

/** An @xmpp/client on the emulator's WebSocket endpoint, through "localhost" (where it allows PLAIN). */
export async function xmppjs(
  em: RunningEmulator,
  opts: { username: string; password?: string; resource?: string; domain?: string; namespace?: string },
): Promise<XmppJs> {
  const { client, xml } = await import('@xmpp/client');
  const endpoint = opts.namespace === undefined ? em.xmppWebsocket! : em.namespace(opts.namespace).xmppWebsocket!;
  const service = endpoint.replace('127.0.0.1', 'localhost');
  const c = client({ service, domain: opts.domain ?? 'example.com', username: opts.username, password: opts.password ?? 'any', resource: opts.resource });
  c.on('error', () => undefined);
  const waiters = new Set<{ match: (s: any) => boolean; resolve: (s: any) => void }>();
  const seen: any[] = [];
  c.on('stanza', (s: any) => {
    seen.push(s);
    for (const w of waiters) {
      if (w.match(s)) {
        waiters.delete(w);
        w.resolve(s);
      }
    }
  });
  return {
    raw: c,
    xml,
    seen,
    /** the first stanza (already seen or still to come) that satisfies `match` */
    stanza: (match) => {
      const found = seen.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => waiters.add({ match, resolve }));
    },
  };
}

export interface XmppJs {
  raw: any;
  xml: (...args: any[]) => any;
  seen: any[];
  stanza(match: (s: any) => boolean): Promise<any>;
}

export function bodyOf(s: any): string | undefined {
  return s.getChildText?.('body') ?? undefined;
}
