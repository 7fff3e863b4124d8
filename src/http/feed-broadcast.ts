// The feed's fan-out: each event is serialised and framed once, whatever the number of clients, and the frames of
// a few milliseconds go to each client in one write. A client follows every namespace or one: each group (every
// namespace, or one) gets its frames joined once per flush. Memory is bounded per client and in total.
import type { Socket } from 'node:net';
import { eventJsonParts, utf8Bytes } from '../core/event-json.js';
import type { EmulatorEvent } from '../core/events.js';
import { DEFAULT_NAMESPACE } from '../core/namespaces.js';

/** One feed client: its socket (for the shared frames) and how to cut it off. */
export interface FeedClient {
  socket: Socket;
  terminate(): void;
  /** only this namespace's events (/ns/NAME/v1/events); absent: every namespace's */
  namespace?: string;
}

/** The namespace an event belongs to (the default's carry none). */
const namespaceOf = (event: EmulatorEvent): string => event.namespace ?? DEFAULT_NAMESPACE;
/** The group of clients that follow every namespace. */
const EVERY = '\0every';

export interface FeedLimits {
  /** clients at once; more are refused at the upgrade */
  maxClients: number;
  /** bytes a client may leave unread before it is cut off */
  maxClientBytes: number;
  /** bytes all clients together may leave unread; past it the client furthest behind is cut off */
  maxTotalBytes: number;
}

export const FEED_LIMITS: Readonly<FeedLimits> = Object.freeze({
  maxClients: 256,
  maxClientBytes: 8 * 1024 * 1024,
  maxTotalBytes: 64 * 1024 * 1024,
});

/**
 * Events gathered this long are written together: under load, one write per client for many events. One display
 * frame at 60 Hz: the console cannot show an event sooner, and each flush costs a write to every client (100 clients:
 * a millisecond of the emulator's time).
 */
const FLUSH_MS = 16;

/**
 * An unmasked, unfragmented RFC 6455 text frame header for `length` payload bytes. Servers never mask, so one frame
 * serves every client; ws frames per send, so the header is built here (four lines of the RFC).
 */
export function textFrameHeader(length: number): Buffer {
  if (length < 126) return Buffer.from([0x81, length]);
  if (length < 65536) {
    const h = Buffer.allocUnsafe(4);
    h[0] = 0x81;
    h[1] = 126;
    h.writeUInt16BE(length, 2);
    return h;
  }
  const h = Buffer.allocUnsafe(10);
  h[0] = 0x81;
  h[1] = 127;
  h.writeBigUInt64BE(BigInt(length), 2);
  return h;
}

export class FeedBroadcast {
  readonly clients = new Set<FeedClient>();
  /** clients per group (EVERY, or a namespace), so an event nobody follows is never serialised */
  private readonly groups = new Map<string, number>();
  /** frames waiting for the next flush, each with its namespace */
  private pending: Array<{ namespace: string; frame: Buffer[] }> = [];
  private timer: NodeJS.Timeout | null = null;
  private lastFlush = 0;

  constructor(readonly limits: Readonly<FeedLimits> = FEED_LIMITS) {}

  get full(): boolean {
    return this.clients.size >= this.limits.maxClients;
  }

  add(c: FeedClient): void {
    if (this.clients.has(c)) return;
    this.clients.add(c);
    const g = c.namespace ?? EVERY;
    this.groups.set(g, (this.groups.get(g) ?? 0) + 1);
  }

  remove(c: FeedClient): void {
    if (!this.clients.delete(c)) return;
    const g = c.namespace ?? EVERY;
    const n = (this.groups.get(g) ?? 1) - 1;
    if (n === 0) this.groups.delete(g);
    else this.groups.set(g, n);
  }

  /** Serialise and frame the event once (not at all when no client follows it); written to its clients at the next flush. */
  publish(event: EmulatorEvent): void {
    const namespace = namespaceOf(event);
    if (!this.groups.has(EVERY) && !this.groups.has(namespace)) return;
    const json = eventJsonParts(event);
    // A body kept as bytes goes into the frame as they are (plain ASCII: its UTF-8), between the texts around it.
    const payload = typeof json === 'string' ? [utf8Bytes(json)] : [utf8Bytes(json.head), json.body, utf8Bytes(json.tail)];
    this.pending.push({ namespace, frame: [textFrameHeader(payload.reduce((n, b) => n + b.length, 0)), ...payload] });
    if (this.timer) return;
    // The first event after a quiet spell goes out at once; under load, frames gather for FLUSH_MS.
    const wait = Math.max(0, this.lastFlush + FLUSH_MS - performance.now());
    this.timer = setTimeout(() => this.flush(), wait);
  }

  flush(): void {
    this.timer = null;
    // Only a flush that wrote something counts as load: an empty one (a client connecting) must not hold the next event.
    if (this.pending.length === 0) return;
    this.lastFlush = performance.now();
    const pending = this.pending;
    this.pending = [];
    // Each group's frames, joined once for all its clients.
    const joined = new Map<string, Buffer>();
    const framesOf = (group: string): Buffer => {
      let b = joined.get(group);
      if (!b) joined.set(group, (b = Buffer.concat(pending.filter((p) => group === EVERY || p.namespace === group).flatMap((p) => p.frame))));
      return b;
    };
    let total = 0;
    let furthest: FeedClient | null = null;
    for (const c of [...this.clients]) {
      const s = c.socket;
      if (!s.writable) continue;
      const frames = framesOf(c.namespace ?? EVERY);
      if (frames.length === 0) continue;
      // A client that stops reading is cut off rather than allowed to grow our memory.
      if (s.writableLength + frames.length > this.limits.maxClientBytes) {
        this.cut(c);
        continue;
      }
      s.write(frames);
      total += s.writableLength;
      if (!furthest || s.writableLength > furthest.socket.writableLength) furthest = c;
    }
    // Unread frames are shared buffers, but each client keeps its own references alive: bound them together too.
    while (total > this.limits.maxTotalBytes && furthest) {
      total -= furthest.socket.writableLength;
      this.cut(furthest);
      furthest = [...this.clients].reduce<FeedClient | null>((a, c) => (!a || c.socket.writableLength > a.socket.writableLength ? c : a), null);
    }
  }

  private cut(c: FeedClient): void {
    this.remove(c);
    c.terminate();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.flush();
    this.clients.clear();
    this.groups.clear();
  }
}
