// The bounded store of what the app sent: capped in entries and in bytes (oldest dropped, and counted), indexed by
// recipient, queried by monotonic id, awaitable. Self-contained: each namespace can own one.
import { BadRequestError } from '../domain/errors.js';
import { bareJid } from '../domain/jid.js';
import type { OutboxKind } from '../domain/vocabulary.js';
import { bodyContains, bodyLength, bodyText } from './body-bytes.js';
import type { OutboxEntry } from './events.js';

import type { Pattern } from '../domain/pattern.js';

export type { Pattern } from '../domain/pattern.js';

export interface OutboxFilter {
  kind?: OutboxKind;
  /** a recipient; a bare JID matches every resource of it */
  to?: string;
  from?: string;
  /** the body contains this text */
  contains?: string;
  /** the body matches this pattern */
  matches?: Pattern;
  /** only entries with an id greater than this */
  since?: number;
  /** only what the app sent while handling this delivery (a DeliveryResult's `id`): its replies */
  in_reply_to?: string;
}

/** The filter in a line, for a time-out message. */
export function describeFilter(f: OutboxFilter): string {
  const parts = Object.entries(f)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v !== null && typeof v === 'object' ? `/${(v as Pattern).source}/` : JSON.stringify(v)}`);
  return parts.length ? `{${parts.join(', ')}}` : 'anything';
}

export interface OutboxLimits {
  /** entries kept before the oldest are dropped */
  cap: number;
  /** approximate bytes kept (see entryBytes) before the oldest are dropped */
  maxBytes: number;
  /** how a wait's time-out is timed: a namespace's clock timers (see clock-timers.ts); setTimeout by default */
  after?: (ms: number, end: () => void) => () => void;
}

export interface OutboxStats {
  size: number;
  cap: number;
  bytes: number;
  max_bytes: number;
  dropped: number;
  total: number;
  last_id: number;
}

/** The lower-cased bare part of a JID string, as the indexes key it: everything before the first '/'. */
function jidKey(jid: string): string {
  const slash = jid.indexOf('/');
  return (slash === -1 ? jid : jid.slice(0, slash)).toLowerCase();
}

/** The keys of an entry's recipients, each once. */
function recipientKeys(to: string[]): string[] {
  if (to.length === 1) return [jidKey(to[0]!)];
  return [...new Set(to.map(jidKey))];
}

/**
 * What an entry holds in memory, roughly: two bytes per character of its text (the worst case of V8's string
 * storage) plus a fixed overhead for the object, its array and its index slots. An upper bound, cheap to compute.
 */
export function entryBytes(e: Omit<OutboxEntry, 'id'>): number {
  let chars = e.from.length + bodyLength(e) + (e.status?.length ?? 0) + (e.type?.length ?? 0);
  // The delivery id and its slot in the reply index.
  if (e.in_reply_to) chars += e.in_reply_to.length + 64;
  for (const t of e.to) chars += t.length + 16;
  return 256 + 2 * chars;
}

type Test = (e: OutboxEntry) => boolean;

/** Where a waiter waits: under the most selective key its filter names. */
function waiterBucket(f: OutboxFilter): string {
  if (f.in_reply_to !== undefined) return `r:${f.in_reply_to}`;
  if (f.to !== undefined) return `t:${jidKey(f.to)}`;
  if (f.from !== undefined) return `f:${jidKey(f.from)}`;
  return '*';
}

function jidTest(wanted: string): (actual: string) => boolean {
  const w = wanted.toLowerCase();
  const bare = !w.includes('/');
  return (actual) => {
    const a = actual.toLowerCase();
    return a === w || (bare && jidKey(a) === w && bareJid(a) === w);
  };
}

/**
 * Refuses a filter no entry can mean (BAD_REQUEST). Every surface compiles its filter with compileFilter, so the
 * in-process API, HTTP and the CLI refuse alike; `where` names the field's place in a request.
 */
export function checkFilter(f: OutboxFilter, where = ''): void {
  if (f.in_reply_to === '') throw new BadRequestError(`${where}in_reply_to must be a delivery id (the "id" an injection answered), not empty`);
}

/** The filter as one predicate, its strings lower-cased once rather than per entry. */
export function compileFilter(f: OutboxFilter): Test {
  checkFilter(f);
  const tests: Test[] = [];
  if (f.since !== undefined) tests.push((e) => e.id > f.since!);
  if (f.kind !== undefined) tests.push((e) => e.kind === f.kind);
  if (f.in_reply_to !== undefined) tests.push((e) => e.in_reply_to === f.in_reply_to);
  if (f.to !== undefined) {
    const same = jidTest(f.to);
    tests.push((e) => e.to.some(same));
  }
  if (f.from !== undefined) {
    const same = jidTest(f.from);
    tests.push((e) => same(e.from));
  }
  // A kept (off-heap) body is searched as bytes, and decoded at most once however many patterns test it.
  if (f.contains !== undefined) tests.push(bodyContains(f.contains));
  if (f.matches !== undefined) tests.push((e) => f.matches!.test(bodyText(e)));
  // One test (the usual wait: a recipient) is the filter itself: no array and no closure around it kept per wait.
  if (tests.length === 1) return tests[0]!;
  return (e) => tests.every((t) => t(e));
}

export function matchesFilter(e: OutboxEntry, f: OutboxFilter): boolean {
  return compileFilter(f)(e);
}

/** Ids of the entries sent to one recipient (or in reply to one delivery), oldest first; dropped from the front as
 * the outbox evicts. */
class IdList {
  ids: number[] = [];
  head = 0;
  static of(...ids: number[]): IdList {
    const l = new IdList();
    l.ids = ids;
    return l;
  }
  get length(): number {
    return this.ids.length - this.head;
  }
  push(id: number): void {
    if (this.ids[this.ids.length - 1] !== id) this.ids.push(id);
  }
  shift(id: number): void {
    if (this.ids[this.head] !== id) return;
    this.head++;
    // Compact now and then so the array does not keep every id ever evicted.
    if (this.head > 1024 && this.head * 2 > this.ids.length) {
      this.ids = this.ids.slice(this.head);
      this.head = 0;
    }
  }
  /** The position of the first id greater than `since` (binary search). */
  after(since: number): number {
    let lo = this.head;
    let hi = this.ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ids[mid]! <= since) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** What ends a wait early: an AbortSignal, or anything with these three members. An HTTP long-poll passes its
 * client's hang-up: an AbortController per pending wait cost ~1 KB of heap and ~8 µs (its EventTarget, listener
 * objects and closures), which 1,000 pending waits make the collector copy over and over. */
export interface WaitSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** A pending wait. Plain fields and one closure (`stop`), settled by Outbox.settle: what 1,000 of them keep alive
 * is what each scavenge copies until they are promoted. */
interface Waiter {
  test: Test;
  bucket: string;
  /** true while stored entries are still being scanned; a new match is held until the scan ends */
  scanning: boolean;
  held: OutboxEntry | null;
  done: boolean;
  /** answers the wait's promise */
  resolve: (e: OutboxEntry | null) => void;
  /** ends the wait with null: its timer's callback and its signal's listener */
  stop: () => void;
  cancelTimer: (() => void) | null;
  signal: WaitSignal | undefined;
}

/** A page of a query: the entries found and the id to continue after, or null when the query is done. */
export interface OutboxPage {
  entries: OutboxEntry[];
  next: number | null;
}

/** How long one synchronous slice of a scan may run before it yields to the event loop. */
const SLICE_MS = 5;
/** Entries scanned between two looks at the clock. */
const CLOCK_EVERY = 256;

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class Outbox {
  // A ring buffer of consecutive ids: the oldest at `head`, id k at (head + k - firstId) % cap. O(1) to add, to
  // evict and to find where `since` starts, however long the emulator runs.
  private ring: Array<OutboxEntry | undefined> = [];
  private head = 0;
  private size = 0;
  private bytes = 0;
  private nextId = 1;
  private dropped = 0;
  private readonly byRecipient = new Map<string, IdList>();
  /** delivery id → the entries sent while handling it: "the replies to this" without a scan. Most deliveries
   * have one reply, kept as its bare id; a list only from the second. */
  private readonly byCause = new Map<string, number | IdList>();
  // Waiters by what they wait for: 'r:<delivery>', 't:<recipient>', 'f:<sender>' or '*', so a new entry meets only
  // those that might match. A bucket's only waiter (the usual: each test waits for its own user) is kept bare, a Set
  // only from the second.
  private readonly waiters = new Map<string, Waiter | Set<Waiter>>();
  readonly cap: number;
  readonly maxBytes: number;
  private readonly after: (ms: number, end: () => void) => () => void;

  constructor(limits: number | OutboxLimits) {
    const l: OutboxLimits = typeof limits === 'number' ? { cap: limits, maxBytes: Infinity } : limits;
    this.cap = l.cap;
    this.maxBytes = l.maxBytes;
    this.after =
      l.after ??
      ((ms, end) => {
        const timer = setTimeout(end, ms);
        return () => clearTimeout(timer);
      });
  }

  private get firstId(): number {
    return this.nextId - this.size;
  }

  private at(id: number): OutboxEntry {
    return this.ring[(this.head + id - this.firstId) % this.cap]!;
  }

  add(entry: Omit<OutboxEntry, 'id'>): OutboxEntry {
    return this.insert({ id: this.nextId, ...entry } as OutboxEntry);
  }

  /** The id the next entry gets: a service call builds its entry (and writes its transcript line) before adding it. */
  get nextEntryId(): number {
    return this.nextId;
  }

  /** Add an entry built with nextEntryId. */
  insert(stored: OutboxEntry): OutboxEntry {
    if (stored.id !== this.nextId) throw new Error(`outbox entry #${stored.id} added out of turn (next is #${this.nextId})`);
    const bytes = entryBytes(stored);
    while (this.size > 0 && (this.size === this.cap || this.bytes + bytes > this.maxBytes)) this.evictOldest();
    const pos = (this.head + this.size) % this.cap;
    this.ring[pos] = stored;
    this.size++;
    this.bytes += bytes;
    this.nextId++;
    const keys = recipientKeys(stored.to);
    for (const k of keys) {
      let list = this.byRecipient.get(k);
      if (!list) this.byRecipient.set(k, (list = new IdList()));
      list.push(stored.id);
    }
    if (stored.in_reply_to !== null) {
      const had = this.byCause.get(stored.in_reply_to);
      if (had === undefined) this.byCause.set(stored.in_reply_to, stored.id);
      else if (typeof had === 'number') this.byCause.set(stored.in_reply_to, IdList.of(had, stored.id));
      else had.push(stored.id);
    }
    if (this.waiters.size > 0) this.offer(stored, keys);
    return stored;
  }

  private evictOldest(): void {
    const e = this.ring[this.head]!;
    this.bytes -= entryBytes(e);
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.cap;
    this.size--;
    this.dropped++;
    for (const k of recipientKeys(e.to)) {
      const list = this.byRecipient.get(k)!;
      list.shift(e.id);
      if (list.length === 0) this.byRecipient.delete(k);
    }
    if (e.in_reply_to !== null) {
      const had = this.byCause.get(e.in_reply_to)!;
      if (typeof had !== 'number') had.shift(e.id);
      if (typeof had === 'number' || had.length === 0) this.byCause.delete(e.in_reply_to);
    }
  }

  /** Hand a new entry to the waiters that might want it: those keyed by its cause, its recipients, its sender, and
   * the rest. */
  private offer(e: OutboxEntry, keys: string[]): void {
    const buckets = [...keys.map((k) => `t:${k}`), `f:${jidKey(e.from)}`, '*'];
    if (e.in_reply_to !== null) buckets.push(`r:${e.in_reply_to}`);
    for (const b of buckets) {
      const held = this.waiters.get(b);
      if (held === undefined) continue;
      if (held instanceof Set) for (const w of held) this.meet(w, e);
      else this.meet(held, e);
    }
  }

  private meet(w: Waiter, e: OutboxEntry): void {
    if (!w.test(e)) return;
    this.unregister(w);
    if (w.scanning) w.held = e;
    else this.settle(w, e);
  }

  private register(w: Waiter): void {
    const held = this.waiters.get(w.bucket);
    if (held === undefined) this.waiters.set(w.bucket, w);
    else if (held instanceof Set) held.add(w);
    else this.waiters.set(w.bucket, new Set([held, w]));
  }

  private unregister(w: Waiter): void {
    const held = this.waiters.get(w.bucket);
    if (held === w || (held instanceof Set && held.delete(w) && held.size === 0)) this.waiters.delete(w.bucket);
  }

  /**
   * One synchronous page: matching entries with ids in (after, upto], oldest first, at most `limit` of them,
   * stopping early once `deadline` (a performance.now() time) has passed. Filters on a delivery or a recipient walk
   * that index; `since` starts where it points (no scan of what comes before).
   */
  page(filter: OutboxFilter, after = 0, limit = Infinity, upto = this.lastId, deadline = Infinity, test = compileFilter(filter)): OutboxPage {
    const entries: OutboxEntry[] = [];
    const start = Math.max(after, filter.since ?? 0, this.firstId - 1);
    // What to walk: the delivery's or the recipient's own ids when the filter names one, else every id from `start` on.
    let ids: ((i: number) => number) | null = null;
    let i = start + 1;
    let end = upto + 1;
    const indexed = filter.in_reply_to !== undefined || filter.to !== undefined;
    if (indexed) {
      const cause = filter.in_reply_to !== undefined ? this.byCause.get(filter.in_reply_to) : undefined;
      const list = filter.in_reply_to !== undefined ? (typeof cause === 'number' ? IdList.of(cause) : cause) : this.byRecipient.get(jidKey(filter.to!));
      if (!list) return { entries, next: null };
      const all = list.ids;
      ids = (k) => all[k]!;
      i = list.after(start);
      end = all.length;
    }
    for (let scanned = 1; i < end; i++, scanned++) {
      const id = ids ? ids(i) : i;
      if (id > upto) break;
      const e = this.at(id);
      if (test(e)) {
        entries.push(e);
        if (entries.length >= limit) return { entries, next: id < upto ? id : null };
      }
      if (scanned % CLOCK_EVERY === 0 && performance.now() > deadline) return { entries, next: id };
    }
    return { entries, next: null };
  }

  /**
   * Every matching entry stored now, oldest first, in batches: the scan yields to the event loop between slices of
   * a few milliseconds, so a query over a million entries never stalls the process. Entries evicted meanwhile are
   * skipped; entries added meanwhile are not included.
   */
  async *query(filter: OutboxFilter, limit = Infinity): AsyncGenerator<OutboxEntry[]> {
    const test = compileFilter(filter);
    const upto = this.lastId;
    let after = 0;
    let left = limit;
    for (;;) {
      const p = this.page(filter, after, left, upto, performance.now() + SLICE_MS, test);
      if (p.entries.length > 0) {
        left -= p.entries.length;
        yield p.entries;
      }
      if (p.next === null || left <= 0) return;
      after = p.next;
      await yieldToLoop();
    }
  }

  /** The matching entries stored now, oldest first, gathered without stalling the event loop. */
  async collect(filter: OutboxFilter = {}, limit = Infinity): Promise<OutboxEntry[]> {
    const out: OutboxEntry[] = [];
    for await (const batch of this.query(filter, limit)) out.push(...batch);
    return out;
  }

  /** The matching entries stored now, in one synchronous scan: for small outboxes and tests. */
  list(filter: OutboxFilter = {}, limit = Infinity): OutboxEntry[] {
    return this.page(filter, 0, limit).entries;
  }

  find(filter: OutboxFilter): OutboxEntry | undefined {
    return this.page(filter, 0, 1).entries[0];
  }

  /** The first entry matching, already stored or yet to come; null after timeoutMs (Infinity: never) or once aborted. */
  wait(filter: OutboxFilter, timeoutMs: number, signal?: WaitSignal): Promise<OutboxEntry | null> {
    const test = compileFilter(filter);
    const upto = this.lastId;
    // The first slice runs now: most waits (a recipient's index, or `since` near the end) finish within it.
    const first = this.page(filter, 0, 1, upto, performance.now() + SLICE_MS, test);
    if (first.entries[0]) return Promise.resolve(first.entries[0]);
    // Aborted before it began: nothing to wait for (an abort listener added now would never be called).
    if (signal?.aborted) return Promise.resolve(null);
    return new Promise((resolve) => {
      const w: Waiter = {
        test,
        bucket: waiterBucket(filter),
        scanning: first.next !== null,
        held: null,
        done: false,
        resolve,
        stop: () => this.settle(w, null),
        cancelTimer: null,
        signal,
      };
      // Infinity: no timer of its own (the caller's signal ends it).
      if (Number.isFinite(timeoutMs)) w.cancelTimer = this.after(timeoutMs, w.stop);
      signal?.addEventListener('abort', w.stop, { once: true });
      // Registered before the rest of the scan, so nothing added while it yields is missed.
      this.register(w);
      // A scan that fails (a bug) answers the wait as nothing found, said on stderr, rather than leave it hanging.
      if (w.scanning)
        this.finishScan(w, filter, first.next!, upto).catch((e: Error) => {
          console.error(`xmpp-emu: an outbox wait's scan failed: ${e.stack ?? e.message}`);
          this.settle(w, null);
        });
    });
  }

  /** Answer a wait once (a match, or null), and drop what it held: its bucket slot, its timer, its signal's listener. */
  private settle(w: Waiter, e: OutboxEntry | null): void {
    if (w.done) return;
    w.done = true;
    this.unregister(w);
    w.cancelTimer?.();
    w.signal?.removeEventListener('abort', w.stop);
    w.resolve(e);
  }

  /** The rest of a wait's scan of stored entries, in slices; the oldest stored match wins over a newer one held. */
  private async finishScan(w: Waiter, filter: OutboxFilter, after: number, upto: number): Promise<void> {
    let next: number | null = after;
    while (next !== null) {
      await yieldToLoop();
      if (w.done) return;
      const p = this.page(filter, next, 1, upto, performance.now() + SLICE_MS, w.test);
      if (p.entries[0]) return this.settle(w, p.entries[0]);
      next = p.next;
    }
    w.scanning = false;
    if (w.held) this.settle(w, w.held);
  }

  clear(): number {
    const n = this.size;
    // Ids go on from where they were: `since` stays meaningful across a clear.
    this.ring = [];
    this.head = 0;
    this.size = 0;
    this.bytes = 0;
    this.byRecipient.clear();
    this.byCause.clear();
    return n;
  }

  get lastId(): number {
    return this.nextId - 1;
  }

  stats(): OutboxStats {
    const max = Number.isFinite(this.maxBytes) ? this.maxBytes : 0;
    return { size: this.size, cap: this.cap, bytes: this.bytes, max_bytes: max, dropped: this.dropped, total: this.nextId - 1, last_id: this.nextId - 1 };
  }

  /** Waits pending now (for tests: a wait that ends, however it ends, leaves nothing behind). */
  get waiting(): number {
    let n = 0;
    for (const held of this.waiters.values()) n += held instanceof Set ? held.size : 1;
    return n;
  }

  /** Release every waiter (at shutdown), answering null. */
  close(): void {
    for (const held of [...this.waiters.values()]) for (const w of held instanceof Set ? [...held] : [held]) this.settle(w, null);
  }
}
