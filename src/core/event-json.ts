// The JSON text of an event, exactly as JSON.stringify writes it, for every surface that prints, sends or keeps
// events as text (--json console, feed, replayed history, transcript), and its bytes. A sent message's body is the
// one part that can be long: when nothing in it needs escaping it goes in as it is, so the stringifier does not walk
// it character by character (50 KB: one vectorised search per escaped unit costs a quarter of that walk).
import { bodyBytesOf, withEmptyBody } from './body-bytes.js';
import type { EmulatorEvent, OutboxEntry } from './events.js';

/**
 * The JSON of a `sent` event whose body is kept as bytes (body-bytes.ts): the text before the body, its bytes (plain
 * ASCII, the same in latin1 and UTF-8) and the text after it. Written or sent in pieces, a 50 KB body is never built
 * into a string to be copied again on its way out.
 */
export interface SplicedJson {
  head: string;
  body: Buffer;
  tail: string;
}

/** Below this many UTF-16 units the stringifier's own walk costs less than the searches. */
const LONG_BODY = 1024;
/** What JSON.stringify escapes in a well-formed string: the controls, the quote and the backslash. */
const ESCAPED_UNITS = [...Array.from({ length: 32 }, (_, c) => String.fromCharCode(c)), '"', '\\'];
/**
 * The body's place in the JSON of its event with an empty body. A string value holds no unescaped quote, so the first
 * match is a key; the only `body` key of a `sent` event is its entry's (type, then the entry's id, time, kind, from
 * and to, come before it).
 */
const EMPTY_BODY = '"body":""';

const needsNoEscape = (s: string): boolean => (s as string & { isWellFormed(): boolean }).isWellFormed() && !ESCAPED_UNITS.some((u) => s.includes(u));

/** Entries whose body the transport read as plain ASCII text (CallContext.asciiText), known to need no escape. */
const plainBodies = new WeakSet<OutboxEntry>();

/**
 * Say, before its event, that `entry`'s body holds no quote, backslash, control or non-ASCII character: its JSON is
 * then put together without a search.
 */
export function markPlainBody(entry: OutboxEntry): void {
  plainBodies.add(entry);
}

/**
 * The latest events serialised and their texts: the feed serialises an event as it is emitted and the --json console
 * when the turn's lines are written, so the console finds the feed's text. A few turns' worth, oldest out first,
 * bounded in count (RECENT) and in characters (RECENT_CHARS, about 2 MB of text and as much of the events it keeps
 * alive): a send to 20,000 recipients is a 1 MB text, and an emulator that goes quiet keeps what it last remembered.
 * A text longer than a quarter of that is not remembered (it is serialised again if asked again).
 */
const recent = new Map<EmulatorEvent, { seq: number; json: string | SplicedJson; chars: number }>();
const RECENT = 256;
const RECENT_CHARS = 1 << 20;
let recentChars = 0;

function forget(event: EmulatorEvent): void {
  const known = recent.get(event);
  if (!known) return;
  recent.delete(event);
  recentChars -= known.chars;
}

/** The event's JSON text. */
export function eventJson(event: EmulatorEvent): string {
  const json = eventJsonParts(event);
  return typeof json === 'string' ? json : `${json.head}${json.body.toString('latin1')}${json.tail}`;
}

/** The event's JSON: its text, or, for a body kept as bytes, the pieces around the bytes. */
export function eventJsonParts(event: EmulatorEvent): string | SplicedJson {
  const known = recent.get(event);
  if (known && known.seq === event.seq) return known.json;
  const json = serialise(event);
  forget(event);
  // A spliced body is counted as the text it stands for: the memo keeps its event, and so its bytes, alive.
  const chars = typeof json === 'string' ? json.length : json.head.length + json.body.length + json.tail.length;
  if (chars > RECENT_CHARS / 4) return json;
  while (recent.size > 0 && (recent.size >= RECENT || recentChars + chars > RECENT_CHARS)) forget(recent.keys().next().value!);
  recent.set(event, { seq: event.seq, json, chars });
  recentChars += chars;
  return json;
}

/** What the memo holds now (for tests): events and characters of text. */
export function rememberedJson(): { events: number; chars: number } {
  return { events: recent.size, chars: recentChars };
}

function serialise(event: EmulatorEvent): string | SplicedJson {
  if (event.type !== 'sent') return JSON.stringify(event);
  const bytes = bodyBytesOf(event.entry);
  const body = bytes ? '' : event.entry.body;
  if (!bytes && (body === undefined || body.length < LONG_BODY || !(plainBodies.has(event.entry) || needsNoEscape(body)))) return JSON.stringify(event);
  const text = JSON.stringify({ ...event, entry: withEmptyBody(event.entry) });
  const at = text.indexOf(EMPTY_BODY) + EMPTY_BODY.length - 1;
  const head = text.slice(0, at);
  const tail = text.slice(at);
  return bytes ? { head, body: bytes, tail } : `${head}${body}${tail}`;
}

/**
 * The encoding that writes `text` as UTF-8 most cheaply: ASCII text (the usual JSON line) is the same bytes in
 * latin1, which is copied as it is instead of encoded character by character.
 */
export function utf8Encoding(text: string): 'latin1' | 'utf8' {
  return Buffer.byteLength(text, 'utf8') === text.length ? 'latin1' : 'utf8';
}

/** The UTF-8 bytes of `text`. */
export function utf8Bytes(text: string): Buffer {
  return Buffer.from(text, utf8Encoding(text));
}
