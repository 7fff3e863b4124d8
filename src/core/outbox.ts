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
  // A ring buffer: O(1) to add and to drop the oldest, however long the emulator runs. (A Map's oldest key
  // gets slower to reach as deletions pile up, which showed as a slowdown with the outbox full.)
  private ring: Array<OutboxEntry | undefined>;
  private head = 0;
  private size = 0;
  private nextId = 1;
  private dropped = 0;
  private readonly waiters = new Set<Waiter>();

  constructor(readonly cap: number) {
    this.ring = [];
  }

  add(entry: Omit<OutboxEntry, 'id'>): OutboxEntry {
    const stored = { id: this.nextId++, ...entry } as OutboxEntry;
    if (this.size === this.cap) {
      this.ring[this.head] = stored;
      this.head = (this.head + 1) % this.cap;
      this.dropped++;
    } else {
      this.ring[(this.head + this.size) % this.cap] = stored;
      this.size++;
    }
    for (const w of this.waiters) {
      if (matchesFilter(stored, w.filter)) {
        this.waiters.delete(w);
        w.resolve(stored);
      }
    }
    return stored;
  }

  /** Oldest first. */
  private *entries(): Generator<OutboxEntry> {
    for (let i = 0; i < this.size; i++) yield this.ring[(this.head + i) % this.cap]!;
  }

  list(filter: OutboxFilter = {}, limit = Infinity): OutboxEntry[] {
    const out: OutboxEntry[] = [];
    for (const e of this.entries()) {
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
    const n = this.size;
    this.ring = [];
    this.head = 0;
    this.size = 0;
    return n;
  }

  get lastId(): number {
    return this.nextId - 1;
  }

  stats(): OutboxStats {
    return { size: this.size, cap: this.cap, dropped: this.dropped, total: this.nextId - 1, last_id: this.nextId - 1 };
  }

  /** Release every waiter (at shutdown), answering null. */
  close(): void {
    for (const w of [...this.waiters]) {
      this.waiters.delete(w);
      w.resolve(null);
    }
  }
}
