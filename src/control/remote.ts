// The control API over HTTP, as a ControlPort: what the CLI's commands, the REPL and `run` use against a running emulator.
import { baseUrl, requestJson } from '../client/transport.js';
import type { AppInfo } from '../core/info.js';
import type { DeliveryResult, EventListener, OutboxEntry, EmulatorEvent } from '../core/events.js';
import { describeFilter, matchesFilter, type OutboxFilter } from '../core/outbox.js';
import type { ClockChange, ClockState } from '../domain/clock.js';
import { TimeoutError, UnspecifiedError } from '../domain/errors.js';
import type { FaultRule, FaultRuleInput } from '../domain/faults.js';
import type { PresenceListing } from '../domain/presence.js';
import type { PresenceState } from '../domain/vocabulary.js';
import {
  DEFAULT_WAIT_MS,
  type ControlPort,
  type InboundError,
  type InboundMessage,
  type InboundPresence,
  type InboundSubscription,
  type PresenceInput,
  type SequenceOptions,
  type WaitOptions,
} from './port.js';

export const DEFAULT_EMULATOR = '127.0.0.1:8095';
/** Entries asked for per request when reading the outbox. */
const OUTBOX_PAGE = 500;
/** Longer filters are partly applied here: servers refuse long URLs (HTTP 431). */
const MAX_QUERY = 2000;

export function filterToQuery(f: OutboxFilter & { timeoutMs?: number; limit?: number }): string {
  const q = new URLSearchParams();
  if (f.kind) q.set('kind', f.kind);
  if (f.to) q.set('to', f.to);
  if (f.from) q.set('from', f.from);
  if (f.contains !== undefined) q.set('contains', f.contains);
  if (f.matches) q.set('matches', f.matches.source);
  if (f.since !== undefined) q.set('since', String(f.since));
  if (f.in_reply_to !== undefined) q.set('in_reply_to', f.in_reply_to);
  if (f.timeoutMs !== undefined) q.set('timeout_ms', String(f.timeoutMs));
  if (f.limit !== undefined) q.set('limit', String(f.limit));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** An outbox filter as JSON (a step of expect_sequence). */
function filterToJson(f: OutboxFilter): Record<string, unknown> {
  return { ...f, ...(f.matches ? { matches: f.matches.source } : {}) };
}

let fresh = 0;

export class RemoteControl implements ControlPort {
  readonly base: string;

  /** `emulator`: HOST:PORT or a URL (HOST:PORT/ns/NAME drives one namespace) */
  constructor(emulator: string) {
    this.base = baseUrl(emulator);
  }

  /** The same emulator, one namespace of it (created on first use); without a name, a fresh one. */
  namespace(name = `test-${process.pid}-${++fresh}`): RemoteControl {
    return new RemoteControl(`${this.base.replace(/\/ns\/[^/]*$/, '')}/ns/${encodeURIComponent(name)}`);
  }

  private call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return requestJson<T>(`${this.base}${path}`, {
      method,
      body,
      unreachable: (cause, e) =>
        `cannot reach the emulator at ${this.base}${cause?.code === 'ECONNREFUSED' ? ' (connection refused: is `xmpp-emu start` running? set XMPP_EMULATOR_HOST or --emulator)' : `: ${cause?.message ?? e.message}`}`,
    });
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
  async waitFor({ timeoutMs = DEFAULT_WAIT_MS, ...filter }: WaitOptions): Promise<OutboxEntry> {
    if (filterToQuery(filter).length <= MAX_QUERY) {
      return (await this.call<{ entry: OutboxEntry }>('GET', `/v1/outbox/wait${filterToQuery({ ...filter, timeoutMs })}`)).entry;
    }
    // A long body or pattern does not fit in a URL (HTTP 431): wait for what the rest of the filter selects and
    // test the body here, each candidate in turn, within the same deadline.
    const { contains: _c, matches: _m, ...coarse } = filter;
    const deadline = Date.now() + timeoutMs;
    let since = filter.since;
    for (;;) {
      const entry = await this.waitFor({ ...coarse, ...(since !== undefined ? { since } : {}), timeoutMs: Math.max(0, deadline - Date.now()) }).catch(
        (e: unknown) => {
          if (e instanceof TimeoutError) throw new TimeoutError(`no outbox entry matched ${describeFilter(filter)} within ${timeoutMs} ms`);
          throw e;
        },
      );
      if (matchesFilter(entry, filter)) return entry;
      since = entry.id;
    }
  }
  async clearOutbox(): Promise<number> {
    return (await this.call<{ cleared: number }>('DELETE', '/v1/outbox')).cleared;
  }
  setPresence(jid: string, state: PresenceInput): Promise<PresenceState & { subscribed: boolean }> {
    return this.call('PUT', `/v1/presence/${encodeURIComponent(jid)}`, state);
  }
  listPresence(): Promise<PresenceListing> {
    return this.call('GET', '/v1/presence');
  }
  async lastOutboxId(): Promise<number> {
    return (await this.call<{ stats: { last_id: number } }>('GET', '/v1/outbox?limit=1&kind=message')).stats.last_id;
  }
  async expectNone({ timeoutMs = DEFAULT_WAIT_MS, ...filter }: WaitOptions): Promise<void> {
    await this.call('GET', `/v1/outbox/expect_none${filterToQuery({ ...filter, timeoutMs })}`);
  }
  async expectSequence({ steps, conversation, since, timeoutMs = DEFAULT_WAIT_MS }: SequenceOptions): Promise<OutboxEntry[]> {
    const body = { steps: steps.map(filterToJson), conversation, since, timeout_ms: timeoutMs };
    return (await this.call<{ entries: OutboxEntry[] }>('POST', '/v1/outbox/expect_sequence', body)).entries;
  }
  async addFault(rule: FaultRuleInput | FaultRuleInput[]): Promise<FaultRule[]> {
    return (await this.call<{ faults: FaultRule[] }>('POST', '/v1/faults', rule)).faults;
  }
  async listFaults(): Promise<FaultRule[]> {
    return (await this.call<{ faults: FaultRule[] }>('GET', '/v1/faults')).faults;
  }
  async removeFault(id: string): Promise<void> {
    await this.call('DELETE', `/v1/faults/${encodeURIComponent(id)}`);
  }
  async clearFaults(): Promise<number> {
    return (await this.call<{ cleared: number }>('DELETE', '/v1/faults')).cleared;
  }
  setClock(change?: ClockChange): Promise<ClockState> {
    return change === undefined ? this.call('GET', '/v1/clock') : this.call('POST', '/v1/clock', change);
  }
  async reset(): Promise<void> {
    await this.call('POST', '/v1/reset');
  }
  /** Forget this namespace (DELETE /ns/NAME/v1/namespace). */
  async deleteNamespace(): Promise<boolean> {
    return (await this.call<{ deleted: boolean }>('DELETE', '/v1/namespace')).deleted;
  }
  info(): Promise<AppInfo> {
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
