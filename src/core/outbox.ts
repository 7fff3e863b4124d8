// The bounded store of what the app sent: oldest dropped past the cap (and counted), filterable, awaitable.
import { bareJid } from '../domain/jid.js';
import type { OutboxEntry, OutboxKind } from './events.js';

export interface OutboxFilter {
  kind?: OutboxKind;
  /** a recipient; a bare JID matches every resource of it */
  to?: string;
  from?: string;
  /** the body contains this text */
  contains?: string;
  /** the body matches this regular expression */
  matches?: RegExp;
  /** only entries with an id greater than this */
  since?: number;
}

function sameJid(wanted: string, actual: string): boolean {
  const w = wanted.toLowerCase();
  const a = actual.toLowerCase();
  return w === a || (!w.includes('/') && bareJid(a) === w);
}

export function matchesFilter(e: OutboxEntry, f: OutboxFilter): boolean {
  if (f.since !== undefined && e.id <= f.since) return false;
  if (f.kind !== undefined && e.kind !== f.kind) return false;
  if (f.to !== undefined && !e.to.some((t) => sameJid(f.to!, t))) return false;
  if (f.from !== undefined && !sameJid(f.from, e.from)) return false;
  if (f.contains !== undefined && !(e.body ?? '').includes(f.contains)) return false;
  if (f.matches !== undefined && !f.matches.test(e.body ?? '')) return false;
  return true;
}

interface Waiter {
  filter: OutboxFilter;
  resolve: (e: OutboxEntry | null) => void;
}

export interface OutboxStats {
  size: number;
  cap: number;
  dropped: number;
  total: number;
  last_id: number;
}

export class Outbox {
  private readonly entries = new Map<number, OutboxEntry>();
  private nextId = 1;
  private dropped = 0;
  private readonly waiters = new Set<Waiter>();

  constructor(readonly cap: number) {}

  add(entry: Omit<OutboxEntry, 'id'>): OutboxEntry {
    const stored = { id: this.nextId++, ...entry } as OutboxEntry;
    this.entries.set(stored.id, stored);
    if (this.entries.size > this.cap) {
      // Map keeps insertion order, so the first key is the oldest entry.
      this.entries.delete(this.entries.keys().next().value!);
      this.dropped++;
    }
    for (const w of this.waiters) {
      if (matchesFilter(stored, w.filter)) {
        this.waiters.delete(w);
        w.resolve(stored);
      }
    }
    return stored;
  }

  list(filter: OutboxFilter = {}, limit = Infinity): OutboxEntry[] {
    const out: OutboxEntry[] = [];
    for (const e of this.entries.values()) {
      if (matchesFilter(e, filter)) {
        out.push(e);
        if (out.length >= limit) break;
      }
    }
    return out;
  }

  find(filter: OutboxFilter): OutboxEntry | undefined {
    return this.list(filter, 1)[0];
  }

  /** The first entry matching, already stored or yet to come; null after timeoutMs or when aborted. */
  wait(filter: OutboxFilter, timeoutMs: number, signal?: AbortSignal): Promise<OutboxEntry | null> {
    const found = this.find(filter);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        filter,
        resolve: (e) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve(e);
        },
      };
      const onAbort = (): void => {
        this.waiters.delete(waiter);
        waiter.resolve(null);
      };
      const timer = setTimeout(onAbort, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  clear(): number {
    const n = this.entries.size;
    this.entries.clear();
    return n;
  }

  get lastId(): number {
    return this.nextId - 1;
  }

  stats(): OutboxStats {
    return { size: this.entries.size, cap: this.cap, dropped: this.dropped, total: this.nextId - 1, last_id: this.nextId - 1 };
  }

  /** Release every waiter (at shutdown), answering null. */
  close(): void {
    for (const w of [...this.waiters]) {
      this.waiters.delete(w);
      w.resolve(null);
    }
  }
}
