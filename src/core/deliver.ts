// POSTs a planned delivery to the app as multipart/form-data, the way App Engine's injector did.
import { createRequire } from 'node:module';
import type FormDataType from 'form-data';
import type { Agent as UndiciAgent, Dispatcher } from 'undici';
import { ADMIN_HEADERS, type Part } from '../domain/inbound.js';
import { randomHex, type Random } from '../domain/random.js';
import { MAX_TIMER_MS } from './clock-timers.js';
import type { Exchange } from './events.js';

export interface PostOutcome {
  status: number | null;
  reason?: string;
  durationMs: number;
  /** what travelled, for the console's inspector; absent when nothing was sent */
  exchange?: Exchange;
}

/** The inspector keeps this much of each part and of the app's answer, so a capture stays small. */
export const CAPTURE_BYTES = 16 * 1024;

function cut(text: string): { value: string; truncated: boolean } {
  if (text.length * 3 <= CAPTURE_BYTES || Buffer.byteLength(text) <= CAPTURE_BYTES) return { value: text, truncated: false };
  return { value: Buffer.from(text).subarray(0, CAPTURE_BYTES).toString('utf8'), truncated: true };
}

// Loaded on the first delivery, not at start-up (it pulls in a large MIME table).
const load = createRequire(import.meta.url);
let FormData: typeof FormDataType | undefined;

/**
 * Multipart boundaries, drawn from the run's seeded source so that a run with the same --seed sends the same bytes:
 * one boundary for every delivery (fresh random bytes per request were the largest cost of encoding), and a fresh
 * one for a part that happens to contain it.
 */
export class Boundaries {
  readonly usual: string;

  constructor(private readonly random: Random) {
    this.usual = this.draw();
  }

  private draw(): string {
    return `xmpp-emu-${randomHex(this.random, 12)}`;
  }

  /** The boundary for these parts: the usual one, unless a part contains it. */
  for(parts: Part[]): string {
    let boundary = this.usual;
    while (parts.some((p) => p.value.includes(boundary))) boundary = this.draw();
    return boundary;
  }
}

/**
 * Where the values go in form-data's encoding of one shape of form (these names and Content-Types, this boundary):
 * the text before each value and the closing text, from form-data itself (a form of markers, encoded once), so a
 * delivery fills the values in with one concatenation. A FormData stream object per delivery cost 8.5 µs of CPU on
 * the way out (1 µs now), before the request could be written.
 */
interface Layout {
  around: string[];
  contentType: string;
}

/** A handful of shapes (one per kind of delivery, per boundary); the map is cleared if a run ever makes many. */
const layouts = new Map<string, Layout>();

/** NUL, which no part header holds, around each value's index. */
const marker = (i: number): string => `\u0000${i}\u0000`;

function layoutOf(parts: Part[], boundary: string): Layout {
  let key = boundary;
  for (const p of parts) key += `\u0000${p.name}\u0000${p.contentType}`;
  let layout = layouts.get(key);
  if (!layout) {
    const form = formOf(
      parts.map((p, i) => ({ ...p, value: marker(i) })),
      boundary,
    );
    let text = form.getBuffer().toString('utf8');
    const around: string[] = [];
    parts.forEach((_, i) => {
      const [before, after] = text.split(marker(i)) as [string, string];
      around.push(before);
      text = after;
    });
    around.push(text);
    layout = { around, contentType: form.getHeaders()['content-type'] as string };
    if (layouts.size >= 64) layouts.clear();
    layouts.set(key, layout);
  }
  return layout;
}

function formOf(parts: Part[], boundary: string): FormDataType {
  FormData ??= load('form-data') as typeof FormDataType;
  const form = new FormData();
  form.setBoundary(boundary);
  for (const p of parts) form.append(p.name, p.value, { contentType: p.contentType });
  return form;
}

/** Encode the parts: each names its own Content-Type and charset, and none has a filename (so parsers read fields). */
export function encodeParts(parts: Part[], boundaries: Boundaries): { body: Buffer; contentType: string } {
  const { around, contentType } = layoutOf(parts, boundaries.for(parts));
  let text = around[0]!;
  for (let i = 0; i < parts.length; i++) text += parts[i]!.value + around[i + 1]!;
  return { body: Buffer.from(text, 'utf8'), contentType };
}

/** Why a request to the app failed, in words. */
export function unreachable(e: NodeJS.ErrnoException, target: URL): string {
  if (e.code === 'ECONNREFUSED') return `nothing is listening at ${target.origin} (connection refused)`;
  // undici's name for the app closing the connection before its answer; node:http's (which deliveries used before) is
  // plainer, and the one a developer will search for.
  if (e.code === 'UND_ERR_SOCKET') return 'ECONNRESET socket hang up';
  return `${e.code ?? ''} ${e.message}`.trim();
}

export function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path;
}

/** What a POST needs of the app's URL, worked out once per URL (there are a handful: the app's and its versions'). */
interface Target {
  url: URL;
  /** scheme, host and port: the connection's key */
  origin: string;
  /** path and query, as the request line carries them */
  path: string;
  host: string;
  /** Basic credentials from the URL's user and password, as node:http sent them */
  authorization?: string;
}

const targets = new Map<string, Target | null>();

function targetOf(url: string): Target | null {
  let t = targets.get(url);
  if (t === undefined) {
    try {
      const parsed = new URL(url);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new TypeError(`${parsed.protocol} is not http`);
      t = { url: parsed, origin: parsed.origin, path: parsed.pathname + parsed.search, host: parsed.host };
      if (parsed.username || parsed.password) {
        const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
        t.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
      }
    } catch {
      t = null;
    }
    if (targets.size >= 256) targets.clear();
    targets.set(url, t);
  }
  return t;
}

/**
 * The one file of undici that deliveries load. It is not the package's public entry point (its index takes ~140 ms to
 * load, this ~40 ms), so package.json pins undici's exact version: a release that moved it would otherwise break
 * every delivery of an `npm install` that does not read the lock (the README's tarball install).
 */
export const UNDICI_AGENT = 'undici/lib/dispatcher/agent.js';

/**
 * The connections deliveries go over: undici's Agent (kept-alive sockets per origin), loaded on the first delivery.
 * node:http's client cost ~45 µs more CPU per POST than undici on this path (request object, header checks, the
 * socket handed over a tick later, the parser and IncomingMessage stream): more than the emulator's own work per
 * delivery.
 *
 * `--delivery-timeout` alone limits a POST, as it did with node:http (which has no limits of its own): undici's
 * waits for the answer's headers and body (300 s each by default) are off, and its connect timeout (10 s by default)
 * is the delivery timeout, so a connection that never opens is dropped when the POST gives up (whichever of the
 * two fires first, the reason is the delivery timeout's).
 */
export function appClient(deliveryTimeoutMs: number): Dispatcher {
  const Agent = load(UNDICI_AGENT) as typeof UndiciAgent;
  return new Agent({ connectTimeout: deliveryTimeoutMs, headersTimeout: 0, bodyTimeout: 0 });
}

/**
 * The POSTs waiting for the app, each with the moment it gives up: one list per timeout length, oldest (so first due)
 * first, and one timer per list, left armed (unref'd) between deliveries, instead of a Timeout set and cleared per
 * POST (a few µs of each delivery's latency, in ablations).
 */
interface Waiting {
  due: number;
  giveUp: () => void;
}

const waitingFor = new Map<number, { list: Set<Waiting>; timer: NodeJS.Timeout | null }>();

/** Call `giveUp` once `timeoutMs` have passed, unless the returned function is called first. */
function deadline(timeoutMs: number, giveUp: () => void): () => void {
  let lane = waitingFor.get(timeoutMs);
  if (!lane) waitingFor.set(timeoutMs, (lane = { list: new Set(), timer: null }));
  const entry: Waiting = { due: performance.now() + timeoutMs, giveUp };
  lane.list.add(entry);
  const { list } = lane;
  const sweep = (): void => {
    lane!.timer = null;
    const now = performance.now();
    for (const w of list) {
      if (w.due > now) {
        lane!.timer = setTimeout(sweep, Math.min(w.due - now, MAX_TIMER_MS)).unref();
        return;
      }
      list.delete(w);
      w.giveUp();
    }
  };
  lane.timer ??= setTimeout(sweep, Math.min(timeoutMs, MAX_TIMER_MS)).unref();
  return () => void list.delete(entry);
}

export function postParts(
  url: string,
  parts: Part[],
  ticketHeaders: Record<string, string>,
  timeoutMs: number,
  client: Dispatcher,
  boundaries: Boundaries,
): Promise<PostOutcome> {
  const started = performance.now();
  const target = targetOf(url);
  if (!target) return Promise.resolve({ status: null, reason: `the app URL "${url}" is not a valid URL`, durationMs: 0 });
  const { body, contentType } = encodeParts(parts, boundaries);
  const headers: Record<string, string> = {
    Host: target.host,
    'Content-Type': contentType,
    'Content-Length': String(body.length),
    ...ADMIN_HEADERS,
    ...ticketHeaders,
  };
  if (target.authorization !== undefined) headers.Authorization = target.authorization;
  return new Promise((resolve) => {
    let request: Exchange['request'] | undefined;
    let response: Exchange['response'] = null;
    let settled = false;
    let abort: ((e: Error) => void) | null = null;
    let cancel: (() => void) | null = null;
    const finish = (o: Omit<PostOutcome, 'durationMs' | 'exchange'>): void => {
      if (settled) return;
      settled = true;
      cancel?.();
      // Built by assignment: V8 (Node 20) adds the fields of `{ ...o, more }` one by one in its runtime (~1 µs).
      const outcome = o as PostOutcome;
      outcome.durationMs = Math.round((performance.now() - started) * 100) / 100;
      outcome.exchange = { request: (request ??= captured(url, headers, body, parts)), response };
      resolve(outcome);
    };
    const giveUp = (): void => {
      finish({ status: null, reason: `the app did not answer within ${timeoutMs} ms (POST ${url})` });
      abort?.(new Error('timed out'));
    };
    let status = 0;
    let answerHeaders: Buffer[] = [];
    const kept: Buffer[] = [];
    let bytes = 0;
    const answered = (): void => {
      response = {
        status,
        headers: headersOf(answerHeaders),
        body: Buffer.concat(kept).toString('utf8'),
        body_bytes: bytes,
        truncated: bytes > CAPTURE_BYTES,
      };
      finish(status >= 200 && status < 300 ? { status } : { status, reason: `the app answered HTTP ${status} (POST ${url})` });
    };
    client.dispatch(
      { origin: target.origin, path: target.path, method: 'POST', headers, body },
      {
        onConnect: (a) => {
          if (settled) a(new Error('given up'));
          else abort = a;
        },
        onHeaders: (statusCode, raw) => {
          status = statusCode;
          answerHeaders = raw;
          return true;
        },
        // Keep the first CAPTURE_BYTES of the answer for the inspector; read (and drop) the rest.
        onData: (c) => {
          if (bytes < CAPTURE_BYTES) kept.push(c.subarray(0, CAPTURE_BYTES - bytes));
          bytes += c.length;
          return true;
        },
        onComplete: answered,
        onError: (e: NodeJS.ErrnoException) => {
          if (e.code === 'UND_ERR_CONNECT_TIMEOUT') giveUp();
          // The app answered, then closed before the end of its body: its status stands, as with node:http before
          // (the inspector shows the body as far as it came).
          else if (status !== 0) answered();
          else finish({ status: null, reason: `the app could not be reached: ${unreachable(e, target.url)} (POST ${url})` });
        },
      },
    );
    // The request is dispatched: a new connection is written on once open; a kept-alive one after one turn of the
    // event loop, in its check phase (undici first lets the loop see whether the app closed the idle socket).
    // Doing this part later still (an immediate after that write) was no faster in A/B.
    if (settled) return;
    request = captured(url, headers, body, parts);
    cancel = deadline(timeoutMs, giveUp);
  });
}

/** The inspector's copy of a delivery's request. */
function captured(url: string, headers: Record<string, string>, body: Buffer, parts: Part[]): Exchange['request'] {
  return {
    method: 'POST',
    url,
    headers,
    body_bytes: body.length,
    parts: parts.map((p) => {
      const { value, truncated } = cut(p.value);
      return { name: p.name, content_type: p.contentType, value, truncated };
    }),
  };
}

/**
 * Answer headers that node:http keeps only the first of when repeated (its IncomingMessage rules, Node 20): the
 * inspector showed what node:http read before deliveries moved to undici, and shows the same now.
 */
const SINGLE = new Set([
  'content-type',
  'content-length',
  'user-agent',
  'referer',
  'host',
  'authorization',
  'proxy-authorization',
  'if-modified-since',
  'if-unmodified-since',
  'from',
  'location',
  'max-forwards',
  'retry-after',
  'etag',
  'last-modified',
  'server',
  'age',
  'expires',
]);

/**
 * The answer's headers as node:http's message.headers read them: names in lower case; of a repeated header in SINGLE
 * the first, of Cookie the values joined with "; ", of any other the values joined with ", " (Set-Cookie too: node:http
 * lists them, and the inspector showed that list joined so). One difference: a header named __proto__, which node:http
 * drops, is kept, as the app sent it.
 */
export function headersOf(raw: Buffer[]): Record<string, string> {
  // No prototype: a header named constructor, toString or __proto__ is the app's, not Object.prototype's.
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase();
    const value = raw[i + 1]!.toString('latin1');
    const before = out[name];
    if (before === undefined) out[name] = value;
    else if (!SINGLE.has(name)) out[name] = `${before}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  return out;
}
