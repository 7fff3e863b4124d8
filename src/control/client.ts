// The control API over HTTP, as a ControlPort: what the CLI's client commands, the REPL and `run` use.
import type { DeliveryResult, EventListener, OutboxEntry, EmulatorEvent } from '../core/events.js';
import type { OutboxFilter } from '../core/outbox.js';
import { errorFromBody, UnspecifiedError } from '../domain/errors.js';
import type { PresenceListing, PresenceState } from '../domain/presence.js';
import type { ControlPort, InboundError, InboundMessage, InboundPresence, InboundSubscription, WaitOptions } from '../index.js';

export const DEFAULT_EMULATOR = '127.0.0.1:8095';
/** Entries asked for per request when reading the outbox. */
const OUTBOX_PAGE = 500;

export interface EmulatorInfo {
  app_id: string;
  app_url: string;
  versions: Record<string, string>;
  addresses: string[];
  inbound_services: string[] | null;
}

export function filterToQuery(f: OutboxFilter & { timeoutMs?: number; limit?: number }): string {
  const q = new URLSearchParams();
  if (f.kind) q.set('kind', f.kind);
  if (f.to) q.set('to', f.to);
  if (f.from) q.set('from', f.from);
  if (f.contains !== undefined) q.set('contains', f.contains);
  if (f.matches) q.set('matches', f.matches.source);
  if (f.since !== undefined) q.set('since', String(f.since));
  if (f.timeoutMs !== undefined) q.set('timeout_ms', String(f.timeoutMs));
  if (f.limit !== undefined) q.set('limit', String(f.limit));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export class ControlClient implements ControlPort {
  readonly base: string;

  /** `emulator`: HOST:PORT or a URL */
  constructor(emulator: string) {
    this.base = (/^https?:\/\//.test(emulator) ? emulator : `http://${emulator}`).replace(/\/+$/, '');
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      const cause = (e as Error & { cause?: NodeJS.ErrnoException }).cause;
      throw new UnspecifiedError(
        `cannot reach the emulator at ${this.base}${cause?.code === 'ECONNREFUSED' ? ' (connection refused: is `xmpp-emu start` running? set XMPP_EMULATOR_HOST or --emulator)' : `: ${cause?.message ?? (e as Error).message}`}`,
      );
    }
    const data: unknown = await res.json().catch(() => null);
    if (!res.ok) throw errorFromBody(data, res.status);
    return data as T;
  }

  injectMessage(m: InboundMessage): Promise<DeliveryResult> {
    return this.call('POST', '/v1/inbound/message', m);
  }
  injectPresence(p: InboundPresence): Promise<DeliveryResult> {
    return this.call('POST', '/v1/inbound/presence', p);
  }
  injectSubscription(s: InboundSubscription): Promise<DeliveryResult> {
    return this.call('POST', '/v1/inbound/subscription', s);
  }
  injectError(e: InboundError): Promise<DeliveryResult> {
    return this.call('POST', '/v1/inbound/error', e);
  }
  /** Read in pages (by id), so a large outbox never has to fit in one response. */
  async outbox({ limit = Infinity, ...filter }: OutboxFilter & { limit?: number } = {}): Promise<OutboxEntry[]> {
    const out: OutboxEntry[] = [];
    let since = filter.since;
    while (out.length < limit) {
      const want = Math.min(OUTBOX_PAGE, limit - out.length);
      const { entries } = await this.call<{ entries: OutboxEntry[] }>('GET', `/v1/outbox${filterToQuery({ ...filter, since, limit: want })}`);
      out.push(...entries);
      if (entries.length < want) break;
      since = entries[entries.length - 1]!.id;
    }
    return out;
  }
  async waitFor({ timeoutMs = 5000, ...filter }: WaitOptions): Promise<OutboxEntry> {
    return (await this.call<{ entry: OutboxEntry }>('GET', `/v1/outbox/wait${filterToQuery({ ...filter, timeoutMs })}`)).entry;
  }
  async clearOutbox(): Promise<number> {
    return (await this.call<{ cleared: number }>('DELETE', '/v1/outbox')).cleared;
  }
  setPresence(jid: string, state: unknown): Promise<PresenceState & { subscribed: boolean }> {
    return this.call('PUT', `/v1/presence/${encodeURIComponent(jid)}`, state);
  }
  listPresence(): Promise<PresenceListing> {
    return this.call('GET', '/v1/presence');
  }
  async lastOutboxId(): Promise<number> {
    return (await this.call<{ stats: { last_id: number } }>('GET', '/v1/outbox?limit=1&kind=message')).stats.last_id;
  }
  info(): Promise<EmulatorInfo> {
    return this.call('GET', '/v1/info');
  }
  stats(): Promise<unknown> {
    return this.call('GET', '/v1/stats');
  }

  /** Subscribe to the live feed; resolves once connected. */
  async openFeed(listener: EventListener, onClose?: (why: string) => void): Promise<() => void> {
    const { default: WebSocket } = await import('ws');
    const ws = new WebSocket(`${this.base.replace(/^http/, 'ws')}/v1/events`);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(() => ws.close()));
      ws.once('error', (e) => reject(new UnspecifiedError(`cannot open the live feed at ${this.base}/v1/events: ${e.message}`)));
      ws.on('message', (data) => {
        const event = JSON.parse(String(data)) as EmulatorEvent | { type: 'hello' };
        if (event.type !== 'hello') listener(event as EmulatorEvent);
      });
      ws.on('close', (code, reason) => onClose?.(reason.toString() || `closed (${code})`));
    });
  }

  onEvent(listener: EventListener): () => void {
    let off: (() => void) | null = null;
    let cancelled = false;
    void this.openFeed(listener).then(
      (close) => (cancelled ? close() : (off = close)),
      () => undefined,
    );
    return () => {
      cancelled = true;
      off?.();
    };
  }
}
