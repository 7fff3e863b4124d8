// The recent events, bounded in count and bytes: a subscriber that (re)connects with ?since=SEQ gets what it
// missed, so the console neither loses nor doubles anything across a reconnect. Events are kept as they are (a
// `sent` event shares its entry with the outbox) and serialised only when replayed: keeping costs no JSON.
import { bodyBytesOf } from './body-bytes.js';
import { eventJson } from './event-json.js';
import type { EmulatorEvent } from './events.js';
import { DEFAULT_NAMESPACE } from './namespaces.js';

export const HISTORY_MAX_EVENTS = 50_000;
export const HISTORY_MAX_BYTES = 32 * 1024 * 1024;

interface Kept {
  seq: number;
  event: EmulatorEvent;
  bytes: number;
}

/** What a string of `length` characters holds: two bytes a character and its header. */
const stringBytes = (length: number): number => 2 * length + 16;

/** Roughly what a value holds in memory: two bytes per character of its strings plus a little per field. O(fields). */
export function approxBytes(value: unknown, depth = 0): number {
  if (typeof value === 'string') return stringBytes(value.length);
  if (value === null || typeof value !== 'object' || depth > 4) return 8;
  // Bytes (an /rpc_http call's request) are counted, not walked element by element.
  if (ArrayBuffer.isView(value)) return value.byteLength + 32;
  // A body kept as bytes (body-bytes.ts) is counted as the string it reads as, not built to be counted.
  const kept = bodyBytesOf(value);
  let n = 32;
  // Own keys only, and no array per object walked (this runs for every event kept).
  if (Array.isArray(value)) for (const v of value) n += 8 + approxBytes(v, depth + 1);
  else
    for (const k in value) {
      if (!Object.hasOwn(value, k)) continue;
      n += 8 + (kept !== undefined && k === 'body' ? stringBytes(kept.length) : approxBytes((value as Record<string, unknown>)[k], depth + 1));
    }
  return n;
}

/** Events kept unsized at most: past it they are sized at once, so the byte bound is overshot by a few events only. */
const UNSIZED_MAX = 64;

export class EventHistory {
  private kept: Kept[] = [];
  /** index of the oldest kept event in `kept` (dropping by index is O(1); the array is compacted now and then) */
  private start = 0;
  private bytes = 0;
  /** index in `kept` of the first event not yet sized */
  private sized = 0;
  private sizing = false;

  constructor(
    private readonly maxEvents = HISTORY_MAX_EVENTS,
    private readonly maxBytes = HISTORY_MAX_BYTES,
  ) {}

  /**
   * Keep the event. Its size is counted after this turn of the event loop (or as soon as anything reads the history,
   * or after UNSIZED_MAX events): a delivery's `delivered` event is heard before its caller's promise resolves, and
   * walking it is work that caller need not wait for.
   */
  add(event: EmulatorEvent): void {
    this.kept.push({ seq: event.seq, event, bytes: 0 });
    if (this.kept.length - this.sized > UNSIZED_MAX) this.settle();
    else if (!this.sizing) {
      this.sizing = true;
      setImmediate(this.settle);
    }
  }

  /** Size the events kept since the last time, then drop the oldest past either bound. */
  private readonly settle = (): void => {
    this.sizing = false;
    for (; this.sized < this.kept.length; this.sized++) {
      const k = this.kept[this.sized]!;
      k.bytes = approxBytes(k.event);
      this.bytes += k.bytes;
    }
    while (this.kept.length - this.start > this.maxEvents || (this.bytes > this.maxBytes && this.kept.length - this.start > 1)) {
      this.bytes -= this.kept[this.start]!.bytes;
      this.kept[this.start++] = undefined as unknown as Kept;
    }
    if (this.start > 1024 && this.start * 2 > this.kept.length) {
      this.kept = this.kept.slice(this.start);
      this.sized -= this.start;
      this.start = 0;
    }
  };

  /** The seq of the newest event seen (0 before any). */
  get lastSeq(): number {
    return this.kept[this.kept.length - 1]?.seq ?? 0;
  }

  /** The seq of the oldest event still kept, or null when none is. */
  get firstSeq(): number | null {
    this.settle();
    return this.kept[this.start]?.seq ?? null;
  }

  /** The JSON of every kept event with a seq greater than `since`, oldest first; only one namespace's when named. */
  after(since: number, namespace?: string): string[] {
    this.settle();
    let lo = this.start;
    let hi = this.kept.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.kept[mid]!.seq <= since) lo = mid + 1;
      else hi = mid;
    }
    const out: string[] = [];
    for (let i = lo; i < this.kept.length; i++) {
      const { event } = this.kept[i]!;
      if (namespace === undefined || (event.namespace ?? DEFAULT_NAMESPACE) === namespace) out.push(eventJson(event));
    }
    return out;
  }
}
