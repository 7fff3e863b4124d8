// POSTs a planned delivery to the app as multipart/form-data, the way App Engine's injector did.
import http from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import { urlToHttpOptions } from 'node:url';
import type FormDataType from 'form-data';
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
  return e.code === 'ECONNREFUSED' ? `nothing is listening at ${target.origin} (connection refused)` : `${e.code ?? ''} ${e.message}`.trim();
}

export function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path;
}

/** The app's URLs parsed once each (there are a handful: the app's and its versions', by path), not per delivery. */
const targets = new Map<string, { url: URL; options: http.RequestOptions } | null>();

function targetOf(url: string): { url: URL; options: http.RequestOptions } | null {
  let t = targets.get(url);
  if (t === undefined) {
    try {
      const parsed = new URL(url);
      // Only what node's request reads from them, in a plain object: urlToHttpOptions' null-prototype object, with
      // href, hash and search besides, was copied slowly into each request's options (a few µs of each delivery's latency, in ablations).
      const { protocol, hostname, port, path, auth } = urlToHttpOptions(parsed);
      t = { url: parsed, options: auth === undefined ? { protocol, hostname, port, path } : { protocol, hostname, port, path, auth } };
    } catch {
      t = null;
    }
    if (targets.size >= 256) targets.clear();
    targets.set(url, t);
  }
  return t;
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
  agents: { http: http.Agent; https: https.Agent },
  boundaries: Boundaries,
): Promise<PostOutcome> {
  const started = performance.now();
  const { body, contentType } = encodeParts(parts, boundaries);
  const elapsed = (): number => Math.round((performance.now() - started) * 100) / 100;
  return new Promise((resolve) => {
    const parsed = targetOf(url);
    if (!parsed) {
      resolve({ status: null, reason: `the app URL "${url}" is not a valid URL`, durationMs: 0 });
      return;
    }
    const target = parsed.url;
    const lib = target.protocol === 'https:' ? https : http;
    const headers: Record<string, string> = {
      Host: target.host,
      'Content-Type': contentType,
      'Content-Length': String(body.length),
      ...ADMIN_HEADERS,
      ...ticketHeaders,
    };
    const request: Exchange['request'] = {
      method: 'POST',
      url,
      headers,
      body_bytes: body.length,
      parts: parts.map((p) => {
        const { value, truncated } = cut(p.value);
        return { name: p.name, content_type: p.contentType, value, truncated };
      }),
    };
    let response: Exchange['response'] = null;
    let settled = false;
    const finish = (o: Omit<PostOutcome, 'durationMs' | 'exchange'>): void => {
      if (settled) return;
      settled = true;
      cancel();
      resolve({ ...o, durationMs: elapsed(), exchange: { request, response } });
    };
    const req = lib.request({
      ...parsed.options,
      method: 'POST',
      agent: target.protocol === 'https:' ? agents.https : agents.http,
      headers,
    });
    const cancel = deadline(timeoutMs, () => {
      finish({ status: null, reason: `the app did not answer within ${timeoutMs} ms (POST ${url})` });
      req.destroy();
    });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const ok = status >= 200 && status < 300;
      // Keep the first CAPTURE_BYTES of the answer for the inspector; read (and drop) the rest.
      const kept: Buffer[] = [];
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        if (bytes < CAPTURE_BYTES) kept.push(c.subarray(0, CAPTURE_BYTES - bytes));
        bytes += c.length;
      });
      const done = (): void => {
        const answerHeaders: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) answerHeaders[k] = Array.isArray(v) ? v.join(', ') : v;
        response = { status, headers: answerHeaders, body: Buffer.concat(kept).toString('utf8'), body_bytes: bytes, truncated: bytes > CAPTURE_BYTES };
        finish(ok ? { status } : { status, reason: `the app answered HTTP ${status} (POST ${url})` });
      };
      res.on('end', done);
      res.on('error', done);
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      finish({ status: null, reason: `the app could not be reached: ${unreachable(e, target)} (POST ${url})` });
    });
    req.end(body);
  });
}
