// Long plain message bodies kept as bytes, off the V8 heap. A kept entry lives until the outbox drops it, and a
// 50 KB string that outlives its turn is copied by the young-generation collector, promoted and copied again, and
// faults in old-space pages: most of a 50 KB send's cost. A Buffer's bytes are outside the collected heap, so the
// body's string can die young, as it does in a bare server that keeps nothing. Only bodies the service API read as
// plain ASCII (CallContext.asciiText) are kept so: their latin1 bytes are their UTF-8 bytes and their JSON needs no
// escape. Every reader of `entry.body` still gets the same string (an own enumerable getter decodes it on demand);
// the hot ones (byte counts, the console line, event JSON) use the bytes without building it.
import type { OutboxEntry } from './events.js';

/**
 * Below this many characters a body stays a string. Measured (A/B, main-thread CPU per send, same build but for this
 * bound): a Buffer's allocation and the collections its external memory asks for cost more than the copies they save
 * up to ~20 KB (2 KB +5, 10 KB +6 (human) and +9 µs (--json)), break even at 20-32 KB, and win from there (50 KB:
 * human 108.6 -> 97.5, --json 147.0 -> 118.7).
 */
export const OFF_HEAP_BODY = 32 * 1024;

/** Where a kept entry holds its bytes: a non-enumerable symbol, which JSON, spread, Object.keys and
 * deepStrictEqual do not see (a WeakMap would cost the collector an ephemeron per entry). */
const BYTES = Symbol('body bytes');
type Kept = { [BYTES]?: Buffer };

/** The getter every kept entry shares (one shared function keeps their hidden classes shared too). */
function body(this: object): string {
  return (this as Kept)[BYTES]!.toString('latin1');
}
/** An entry is a plain object its reader may change: a body assigned becomes a plain property again. */
function setBody(this: object, value: unknown): void {
  delete (this as Kept)[BYTES];
  Object.defineProperty(this, 'body', { value, writable: true, enumerable: true, configurable: true });
}
const BODY: PropertyDescriptor = { get: body, set: setBody, enumerable: true, configurable: true };

/** util.inspect (the REPL, console.log of an entry) shows the body's text, as for any entry, not `[Getter]`. */
function inspect(this: OutboxEntry): OutboxEntry {
  return { ...this };
}
const INSPECT: PropertyDescriptor = { value: inspect, enumerable: false, configurable: true, writable: true };

/**
 * `entry` with its body kept as bytes: the same keys in the same order, `body` an own enumerable getter. `body`
 * must be plain ASCII text from U+0020 to U+007F (CallContext.asciiText).
 */
export function keepBodyOffHeap(entry: OutboxEntry): OutboxEntry {
  const text = entry.body!;
  // Its own allocation of exactly its size: never a view of a pooled slab or of the request's bytes, whose larger
  // memory it would keep alive unseen by the outbox's byte bound.
  const bytes = Buffer.allocUnsafeSlow(text.length);
  bytes.write(text, 'latin1');
  const out = {} as Record<string, unknown>;
  for (const k in entry) {
    if (k === 'body') Object.defineProperty(out, 'body', BODY);
    else out[k] = entry[k as keyof OutboxEntry];
  }
  Object.defineProperty(out, BYTES, { value: bytes, configurable: true });
  Object.defineProperty(out, Symbol.for('nodejs.util.inspect.custom'), INSPECT);
  return out as unknown as OutboxEntry;
}

/** The body's bytes when `entry` keeps them off the heap (plain ASCII: latin1 and UTF-8 alike), else undefined. */
export function bodyBytesOf(entry: object): Buffer | undefined {
  return (entry as Kept)[BYTES];
}

/**
 * The test "the body contains `text`", searching a kept body's bytes rather than building its string (a pending
 * `contains` wait meets every new entry: 1,000 of them built 1,000 copies of a 50 KB body per send). Exact: a kept
 * body is plain ASCII, whose latin1 bytes are its characters, so an ASCII `text` is found in the bytes where it is
 * found in the string; a `text` with any character above U+007F is in no kept body at all.
 */
export function bodyContains(text: string): (entry: { body?: string }) => boolean {
  const needle = /[\u0080-\uffff]/.test(text) ? null : Buffer.from(text, 'latin1');
  return (entry) => {
    const bytes = bodyBytesOf(entry);
    if (bytes) return needle !== null && bytes.includes(needle);
    return (entry.body ?? '').includes(text);
  };
}

// The kept body last decoded for a pattern, until the current job ends: a new entry met by many waiting `matches`
// filters (or a query's test run twice on it) is decoded once, and the 50 KB string still dies young.
let decodedBytes: Buffer | undefined;
let decodedText = '';
const forgetDecoded = (): void => {
  decodedBytes = undefined;
  decodedText = '';
};

/** entry.body ('' when there is none), a kept body decoded at most once per entry in a synchronous run. */
export function bodyText(entry: { body?: string }): string {
  const bytes = bodyBytesOf(entry);
  if (!bytes) return entry.body ?? '';
  if (bytes !== decodedBytes) {
    if (decodedBytes === undefined) queueMicrotask(forgetDecoded);
    decodedBytes = bytes;
    decodedText = bytes.toString('latin1');
  }
  return decodedText;
}

/** entry.body.length without building the body. */
export function bodyLength(entry: { body?: string }): number {
  return bodyBytesOf(entry)?.length ?? entry.body?.length ?? 0;
}

/** entry.body.slice(0, end) without building the whole body ('' when there is none). */
export function bodyHead(entry: OutboxEntry, end: number): string {
  const bytes = bodyBytesOf(entry);
  if (bytes) return bytes.toString('latin1', 0, Math.min(end, bytes.length));
  const b = entry.body ?? '';
  return b.length > end ? b.slice(0, end) : b;
}

/** A copy of `entry` with an empty body, in the same key order, without building its body. */
export function withEmptyBody(entry: OutboxEntry): OutboxEntry {
  if (!bodyBytesOf(entry)) return { ...entry, body: '' };
  const out = {} as Record<string, unknown>;
  for (const k in entry) out[k] = k === 'body' ? '' : entry[k as keyof OutboxEntry];
  return out as unknown as OutboxEntry;
}
