// What the console knows, built only from the event feed: every event (for the inspector), and for each namespace
// its conversations, outbox and counters. Events are applied once each, in seq order, so a replay after a
// reconnect cannot double anything. The feed carries every namespace, so switching namespace loses nothing.
import type { AnyEvent, DeliveryResult, Hello, OutboxEntry } from './wire.js';

/** Kept in the page: the newest this many events (the server keeps its own, larger history). */
export const MAX_EVENTS = 50_000;
export const MAX_THREAD_ITEMS = 20_000;

export interface ThreadItem {
  /** unique within its thread */
  key: string;
  dir: 'in' | 'out';
  /** when it happened, in ms: the sort key (an inbound message counts from when its POST started) */
  order: number;
  time: string;
  from: string;
  to: string;
  body: string;
  type: string;
  /** the event that carried it, for the inspector */
  seq: number;
  ok: boolean;
  /** why it failed: not delivered, an invalid recipient, a refused call */
  note?: string;
  loopback?: boolean;
  /** out: the delivery that caused it (in_reply_to); in: the delivery's own id */
  replyTo?: string;
  deliveryId?: string;
}

export interface Thread {
  key: string;
  /** the user's bare JID */
  user: string;
  /** the app's bare address */
  app: string;
  items: ThreadItem[];
  unread: number;
  last: number;
}

export type FeedStatus = 'connecting' | 'live' | 'offline';

export function bare(jid: string): string {
  const slash = jid.indexOf('/');
  return (slash === -1 ? jid : jid.slice(0, slash)).toLowerCase();
}

const threadKey = (user: string, app: string): string => `${user} ↔ ${app}`;

export const DEFAULT_NAMESPACE = 'default';

/** The namespace an event belongs to (the default's events name none). */
export const namespaceOf = (e: AnyEvent): string => (typeof e.namespace === 'string' ? e.namespace : DEFAULT_NAMESPACE);

/** What the console shows of one namespace. */
export class Space {
  /** this namespace's events, oldest first (the inspector's list) */
  events: AnyEvent[] = [];
  threads = new Map<string, Thread>();
  outbox: OutboxEntry[] = [];
  /** outbox ids are per namespace: an entry's `sent` event */
  readonly seqOfEntry = new Map<number, number>();
  rejected = 0;
  /** XMPP client sessions by bare JID: the latest xmpp.session event of each */
  readonly sessions = new Map<string, AnyEvent>();
  /** the thread on screen: its messages are read as they come */
  openThread: string | null = null;
  /** the thread the developer picked last */
  selectedThread: string | null = null;

  constructor(
    readonly name: string,
    private readonly appId: () => string,
  ) {}

  apply(ev: AnyEvent): void {
    this.events.push(ev);
    switch (ev.type) {
      case 'sent':
        this.onSent(ev.entry as OutboxEntry, ev.seq);
        break;
      case 'delivered':
        this.onDelivered(ev.result as DeliveryResult, ev);
        break;
      case 'outbox.cleared':
      case 'reset':
        this.outbox = [];
        break;
      case 'rejected':
        this.onRejected(ev);
        break;
      case 'xmpp.session': {
        if (typeof ev.jid !== 'string') break;
        if (ev.state === 'disconnected') this.sessions.delete(bare(ev.jid));
        else {
          this.sessions.set(bare(ev.jid), ev);
          // A connected client has a thread with the app at once, before anyone says anything.
          this.thread(bare(ev.jid), `${this.appId()}@appspot.com`).last ||= Date.parse(ev.time);
        }
        break;
      }
    }
  }

  /** `ev` is this namespace's oldest event, dropped from the page. */
  forget(ev: AnyEvent): void {
    if (this.events[0] === ev) this.events.shift();
    if (ev.type === 'sent') this.seqOfEntry.delete((ev.entry as OutboxEntry).id);
  }

  private onSent(entry: OutboxEntry, seq: number): void {
    this.seqOfEntry.set(entry.id, seq);
    this.outbox.push(entry);
    if (this.outbox.length > MAX_EVENTS) this.outbox.splice(0, this.outbox.length - MAX_EVENTS);
    if (entry.kind !== 'message') return;
    entry.to.forEach((to, i) => {
      const bad = entry.statuses?.[i] === 1;
      this.add(bare(to), bare(entry.from), {
        key: `out:${entry.id}:${i}`,
        dir: 'out',
        order: Date.parse(entry.time),
        time: entry.time,
        from: entry.from,
        to,
        body: entry.body ?? '',
        type: entry.type ?? 'chat',
        seq,
        ok: !bad,
        ...(bad ? { note: 'INVALID_JID: not sent to this address' } : {}),
        ...(entry.in_reply_to ? { replyTo: entry.in_reply_to } : {}),
      });
    });
  }

  private onDelivered(r: DeliveryResult, ev: AnyEvent): void {
    if (r.kind !== 'message') return;
    const started = Date.parse(ev.time) - r.duration_ms;
    this.add(bare(r.from), bare(r.to), {
      key: `in:${ev.seq}`,
      dir: 'in',
      order: started,
      time: new Date(started).toISOString(),
      from: r.from,
      to: r.to,
      body: r.body ?? '',
      type: r.type,
      seq: ev.seq,
      ok: r.delivered,
      ...(r.delivered ? {} : { note: r.reason ?? 'not delivered' }),
      ...(r.loopback ? { loopback: true } : {}),
      ...(r.id ? { deliveryId: r.id } : {}),
    });
  }

  /** A refused send_message shows in its thread too, where the developer is looking. */
  private onRejected(ev: AnyEvent): void {
    this.rejected++;
    const req = (ev.request ?? null) as { jids?: unknown; body?: unknown; from_jid?: unknown } | null;
    if (!req || typeof req !== 'object') return;
    const jids = typeof req.jids === 'string' ? [req.jids] : Array.isArray(req.jids) ? req.jids.filter((j): j is string => typeof j === 'string') : [];
    const from = typeof req.from_jid === 'string' && req.from_jid ? req.from_jid : `${this.appId()}@appspot.com`;
    jids.slice(0, 10).forEach((to, i) => {
      if (!to.includes('@')) return;
      this.add(bare(to), bare(from), {
        key: `rej:${ev.seq}:${i}`,
        dir: 'out',
        order: Date.parse(ev.time),
        time: ev.time,
        from,
        to,
        body: typeof req.body === 'string' ? req.body : '',
        type: 'refused',
        seq: ev.seq,
        ok: false,
        note: `${String(ev.code)}: ${String(ev.message)}`,
      });
    });
  }

  private thread(user: string, app: string): Thread {
    const key = threadKey(user, app);
    let t = this.threads.get(key);
    if (!t) {
      t = { key, user, app, items: [], unread: 0, last: 0 };
      this.threads.set(key, t);
    }
    return t;
  }

  private add(user: string, app: string, item: ThreadItem): void {
    const t = this.thread(user, app);
    const key = t.key;
    // Usually the newest; an inbound message lands before the replies its POST caused (they were sent first).
    const items = t.items;
    let i = items.length;
    // A delivery goes before the replies it caused (in_reply_to), whatever their clocks say.
    const causedBy = (other: ThreadItem): boolean => item.deliveryId !== undefined && other.replyTo === item.deliveryId;
    while (i > 0 && (items[i - 1]!.order > item.order || causedBy(items[i - 1]!))) i--;
    if (i === items.length) items.push(item);
    else items.splice(i, 0, item);
    if (items.length > MAX_THREAD_ITEMS) items.splice(0, items.length - MAX_THREAD_ITEMS);
    t.items = items.slice(); // a new array, so views see the change
    t.last = Math.max(t.last, item.order);
    if (this.openThread !== key) t.unread++;
  }

  /** Returns true when something changed. */
  markRead(key: string): boolean {
    this.openThread = key;
    const t = this.threads.get(key);
    if (!t || !t.unread) return false;
    t.unread = 0;
    return true;
  }

  unread(): number {
    let n = 0;
    for (const t of this.threads.values()) n += t.unread;
    return n;
  }

  /** Threads, most recent first. */
  threadList(): Thread[] {
    return [...this.threads.values()].sort((a, b) => b.last - a.last);
  }

  /** Every user JID the console has seen in this namespace. */
  knownUsers(): string[] {
    const s = new Set<string>();
    for (const t of this.threads.values()) s.add(t.user);
    for (const j of this.sessions.keys()) s.add(j);
    return [...s].sort();
  }

  /** This namespace's events as JSON lines, the format of --record. */
  transcript(): string {
    return this.events.map((e) => JSON.stringify(e)).join('\n') + (this.events.length ? '\n' : '');
  }
}

export class Store {
  /** every event, of every namespace, oldest first */
  events: AnyEvent[] = [];
  readonly bySeq = new Map<number, AnyEvent>();
  /** delivery ids are unique across namespaces: a delivery's event, and the events its handler caused */
  readonly seqOfDelivery = new Map<string, number>();
  readonly repliesTo = new Map<string, number[]>();
  spaces = new Map<string, Space>();
  /** the namespace on screen */
  namespace = DEFAULT_NAMESPACE;
  lastSeq = 0;
  appId = '';
  status: FeedStatus = 'connecting';
  /** something the developer should know about the feed (events dropped before this page saw them) */
  notice: string | null = null;
  /** bumps on every change, so views can tell */
  version = 0;
  private readonly listeners = new Set<() => void>();
  private scheduled = false;

  /** The namespace on screen. */
  get here(): Space {
    return this.space(this.namespace);
  }

  space(name: string): Space {
    let s = this.spaces.get(name);
    if (!s) {
      s = new Space(name, () => this.appId);
      this.spaces.set(name, s);
    }
    return s;
  }

  /** Show another namespace (its state is already here: the feed carries every namespace). */
  choose(name: string): void {
    if (name === this.namespace) return;
    this.namespace = name;
    this.changed();
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Views re-render at most once a frame however many events arrive (a replay brings thousands at once). */
  private changed(): void {
    this.version++;
    if (this.scheduled) return;
    this.scheduled = true;
    const run = (): void => {
      if (!this.scheduled) return;
      this.scheduled = false;
      for (const fn of this.listeners) fn();
    };
    requestAnimationFrame(run);
    setTimeout(run, 100); // a hidden tab gets no animation frames
  }

  setStatus(s: FeedStatus): void {
    this.status = s;
    this.changed();
  }

  /** The feed's first frame. Answers true when the emulator restarted (its seq went back) and the page must start over. */
  hello(h: Hello): boolean {
    this.appId = h.app_id;
    if (h.last_seq < this.lastSeq) {
      this.reset();
      this.notice = 'The emulator restarted: the console started over.';
      return true;
    }
    if (h.first_seq !== null && h.first_seq > this.lastSeq + 1) {
      this.notice = `${h.first_seq - this.lastSeq - 1} older events were no longer kept by the emulator and are not shown.`;
    }
    this.changed();
    return false;
  }

  reset(): void {
    this.events = [];
    this.bySeq.clear();
    this.seqOfDelivery.clear();
    this.repliesTo.clear();
    this.spaces = new Map();
    this.lastSeq = 0;
    this.notice = null;
    this.changed();
  }

  apply(ev: AnyEvent): void {
    if (ev.seq <= this.lastSeq) return; // already applied (a replay overlapping what we had)
    this.lastSeq = ev.seq;
    this.events.push(ev);
    this.bySeq.set(ev.seq, ev);
    if (this.events.length > MAX_EVENTS) {
      const dropped = this.events.splice(0, this.events.length - MAX_EVENTS);
      for (const d of dropped) this.forget(d);
    }
    if (ev.type === 'delivered') {
      const id = (ev.result as DeliveryResult).id;
      if (id) this.seqOfDelivery.set(id, ev.seq);
    } else if (ev.type === 'sent') {
      const cause = (ev.entry as OutboxEntry).in_reply_to;
      if (cause) this.repliesTo.set(cause, [...(this.repliesTo.get(cause) ?? []), ev.seq]);
    }
    this.space(namespaceOf(ev)).apply(ev);
    this.changed();
  }

  private forget(ev: AnyEvent): void {
    this.bySeq.delete(ev.seq);
    if (ev.type === 'sent') {
      const cause = (ev.entry as OutboxEntry).in_reply_to;
      if (cause) this.repliesTo.delete(cause);
    } else if (ev.type === 'delivered') {
      this.seqOfDelivery.delete((ev.result as DeliveryResult).id);
    }
    this.spaces.get(namespaceOf(ev))?.forget(ev);
  }

  markRead(key: string): void {
    if (this.here.markRead(key)) this.changed();
  }

  /** Namespaces seen on the feed, the default first. */
  namespaces(): string[] {
    return [DEFAULT_NAMESPACE, ...[...this.spaces.keys()].filter((n) => n !== DEFAULT_NAMESPACE).sort()];
  }
}
