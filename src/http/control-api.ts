// The developer's side: inject inbound traffic, read and await the outbox, set presence, read counters.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PresenceInput } from '../control/port.js';
import type { Engine } from '../core/engine.js';
import { checkFilter, type Outbox, type OutboxFilter, type WaitSignal } from '../core/outbox.js';
import type { ClockChange } from '../domain/clock.js';
import { BadRequestError } from '../domain/errors.js';
import { compilePattern } from '../domain/pattern.js';
import type { FaultRuleInput } from '../domain/faults.js';
import { INBOUND_KINDS, isOneOf, OUTBOX_KINDS } from '../domain/vocabulary.js';
import { namespaceOf } from './namespace.js';

const MAX_WAIT_MS = 10 * 60_000;

/**
 * What a control route reads of its request: the JSON body, the query (parsed by node:querystring, as express's
 * "simple" parser does) and the path's :parameters. Served on bare node:http (control-router.ts).
 */
export interface ControlRequest extends IncomingMessage {
  body: unknown;
  query: Record<string, unknown>;
  params: Record<string, string>;
}

/** What it uses of its response: node's own, plus status() and json() as express names them. */
export interface ControlResponse extends ServerResponse {
  status(code: number): this;
  json(value: unknown): void;
}

/** The client's hang-up as a wait's signal, so a long wait stops with it: the response's own 'close' event, with no
 * AbortController per pending wait (see WaitSignal). 'close' is emitted once, so `once` needs no wrapper. */
class HangUp implements WaitSignal {
  constructor(private readonly res: ControlResponse) {}

  get aborted(): boolean {
    return this.res.closed;
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    this.res.on('close', listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    this.res.off('close', listener);
  }
}

function queryString(req: ControlRequest, key: string): string | undefined {
  const v = (req.query as Record<string, unknown>)[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new BadRequestError(`query parameter ${key} must be given once, as text`);
  return v;
}

function queryInt(req: ControlRequest, key: string, min: number, max: number): number | undefined {
  const v = queryString(req, key);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new BadRequestError(`query parameter ${key} must be a whole number from ${min} to ${max}, not "${v}"`);
  return n;
}

/** The outbox filter from ?to=&from=&kind=&contains=&matches=&since=&in_reply_to= */
export function filterFromQuery(req: ControlRequest): OutboxFilter {
  return readFilter(
    (k) => queryString(req, k),
    (k) => queryInt(req, k, 0, Number.MAX_SAFE_INTEGER),
    '',
  );
}

/** The same filter from a JSON object (a step of POST /v1/outbox/expect_sequence). */
export function filterFromJson(o: unknown, where: string): OutboxFilter {
  if (o === null || typeof o !== 'object' || Array.isArray(o))
    throw new BadRequestError(`${where} must be an object such as {"to":"alice@example.com","contains":"hi"}`);
  const v = o as Record<string, unknown>;
  for (const k of Object.keys(v))
    if (!['kind', 'to', 'from', 'contains', 'matches', 'since', 'in_reply_to'].includes(k)) throw new BadRequestError(`${where}: unknown key "${k}"`);
  const text = (k: string): string | undefined => {
    if (v[k] === undefined) return undefined;
    if (typeof v[k] !== 'string') throw new BadRequestError(`${where}.${k} must be a string`);
    return v[k];
  };
  const whole = (k: string): number | undefined => {
    if (v[k] === undefined) return undefined;
    if (!Number.isSafeInteger(v[k]) || (v[k] as number) < 0) throw new BadRequestError(`${where}.${k} must be a whole number`);
    return v[k] as number;
  };
  return readFilter(text, whole, `${where}.`);
}

function readFilter(text: (k: string) => string | undefined, whole: (k: string) => number | undefined, where: string): OutboxFilter {
  const f: OutboxFilter = {};
  const kind = text('kind');
  if (kind !== undefined) {
    if (!isOneOf(kind, OUTBOX_KINDS)) throw new BadRequestError(`${where}kind "${kind}" is not one of: ${OUTBOX_KINDS.join(', ')}`);
    f.kind = kind;
  }
  for (const k of ['to', 'from', 'contains'] as const) {
    const v = text(k);
    if (v !== undefined) f[k] = v;
  }
  const matches = text('matches');
  if (matches !== undefined) {
    f.matches = compilePattern(matches, '', `${where}matches`);
  }
  const since = whole('since');
  if (since !== undefined) f.since = since;
  const cause = text('in_reply_to');
  if (cause !== undefined) f.in_reply_to = cause;
  checkFilter(f, where);
  return f;
}

/** Bytes gathered before one write of a listing. */
const LISTING_CHUNK = 256 * 1024;

/** Resolve when `res` can take more, or has closed. */
function drained(res: ControlResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * GET /v1/outbox as a stream: entries are written as the scan finds them, in chunks, waiting for the client to
 * read. However large the outbox, no single string holds the listing and the event loop is never held long.
 */
async function writeListing(res: ControlResponse, outbox: Outbox, filter: OutboxFilter, limit: number | undefined): Promise<void> {
  res.status(200).setHeader('Content-Type', 'application/json; charset=utf-8');
  let chunk = '{"entries":[';
  let first = true;
  for await (const batch of outbox.query(filter, limit)) {
    for (const e of batch) {
      chunk += (first ? '' : ',') + JSON.stringify(e);
      first = false;
      if (chunk.length < LISTING_CHUNK) continue;
      const more = res.write(chunk);
      chunk = '';
      if (!more) await drained(res);
      if (res.destroyed) return;
    }
  }
  res.end(`${chunk}],"stats":${JSON.stringify(outbox.stats())}}`);
}

type Method = 'get' | 'post' | 'put' | 'delete';
type Handle = (engine: Engine, req: ControlRequest, res: ControlResponse) => unknown;

/** Every control route, documented where it is handled. The guard's list of paths is derived from this table. */
export const CONTROL_ROUTES: ReadonlyArray<{ method: Method; path: string; handle: Handle }> = [
  // Inject what a user sends: POST /v1/inbound/message|presence|subscription|error → the delivery result.
  ...INBOUND_KINDS.map((kind) => ({
    method: 'post' as const,
    path: `/v1/inbound/${kind}`,
    handle: async (engine: Engine, req: ControlRequest, res: ControlResponse) => {
      res.json(await engine.inject(kind, req.body));
    },
  })),
  // What the app sent, oldest first, with the store's counters, streamed.
  {
    method: 'get',
    path: '/v1/outbox',
    handle: async (engine, req, res) => {
      const limit = queryInt(req, 'limit', 1, Number.MAX_SAFE_INTEGER);
      await writeListing(res, engine.outboxStore, filterFromQuery(req), limit);
    },
  },
  // Long-poll for the first match; 408 on time-out. A client that hangs up stops the wait.
  {
    method: 'get',
    path: '/v1/outbox/wait',
    // Not async, as engine.waitFor is not: a pending long-poll keeps two small closures, not a suspended frame.
    handle: (engine, req, res) => {
      const filter = filterFromQuery(req);
      const timeoutMs = queryInt(req, 'timeout_ms', 0, MAX_WAIT_MS);
      return engine.waitFor({ ...filter, ...(timeoutMs !== undefined ? { timeoutMs } : {}) }, new HangUp(res)).then(
        (entry) => res.json({ entry }),
        (e: unknown) => {
          // A client that hung up is told nothing.
          if (!res.destroyed) throw e;
        },
      );
    },
  },
  // The negative wait: 200 when nothing matching arrives within timeout_ms (default 5000), 409 ASSERTION_FAILED if it does.
  {
    method: 'get',
    path: '/v1/outbox/expect_none',
    handle: async (engine, req, res) => {
      const timeoutMs = queryInt(req, 'timeout_ms', 0, MAX_WAIT_MS);
      await engine.expectNone({ ...filterFromQuery(req), ...(timeoutMs !== undefined ? { timeoutMs } : {}) }, new HangUp(res));
      if (!res.destroyed) res.json({ ok: true });
    },
  },
  // {steps: [filter, ...], conversation?, since?, timeout_ms?}: the entries, in order; 408 naming the step that did not come.
  {
    method: 'post',
    path: '/v1/outbox/expect_sequence',
    handle: async (engine, req, res) => {
      const b = (req.body ?? {}) as Record<string, unknown>;
      if (!Array.isArray(b.steps) || b.steps.length === 0) throw new BadRequestError('steps must be a non-empty list of outbox filters');
      for (const k of Object.keys(b))
        if (!['steps', 'conversation', 'since', 'timeout_ms'].includes(k))
          throw new BadRequestError(`unknown key "${k}" (expected steps, conversation, since, timeout_ms)`);
      if (b.conversation !== undefined && typeof b.conversation !== 'string') throw new BadRequestError('conversation must be a JID');
      const timeoutMs = b.timeout_ms;
      if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || (timeoutMs as number) < 0 || (timeoutMs as number) > MAX_WAIT_MS))
        throw new BadRequestError(`timeout_ms must be a whole number from 0 to ${MAX_WAIT_MS}`);
      const { since } = filterFromJson({ since: b.since }, 'since');
      const entries = await engine.expectSequence(
        {
          steps: b.steps.map((s, i) => filterFromJson(s, `steps[${i}]`)),
          ...(b.conversation !== undefined ? { conversation: b.conversation as string } : {}),
          ...(since !== undefined ? { since } : {}),
          ...(timeoutMs !== undefined ? { timeoutMs: timeoutMs as number } : {}),
        },
        new HangUp(res),
      );
      if (!res.destroyed) res.json({ entries });
    },
  },
  { method: 'delete', path: '/v1/outbox', handle: async (engine, _req, res) => res.json({ cleared: await engine.clearOutbox() }) },
  { method: 'get', path: '/v1/presence', handle: async (engine, _req, res) => res.json(await engine.listPresence()) },
  // A word ("away") or {available, show?, status?, subscribed?}.
  {
    method: 'put',
    path: '/v1/presence/:jid',
    handle: async (engine, req, res) => res.json({ jid: req.params.jid, ...(await engine.setPresence(String(req.params.jid), req.body as PresenceInput)) }),
  },
  { method: 'get', path: '/v1/stats', handle: (engine, _req, res) => res.json(engine.stats()) },
  // Fault rules of this namespace: list, add one or a list, remove one, remove all.
  { method: 'get', path: '/v1/faults', handle: async (engine, _req, res) => res.json({ faults: await engine.listFaults() }) },
  { method: 'post', path: '/v1/faults', handle: async (engine, req, res) => res.json({ faults: await engine.addFault(req.body as FaultRuleInput) }) },
  { method: 'delete', path: '/v1/faults', handle: async (engine, _req, res) => res.json({ cleared: await engine.clearFaults() }) },
  {
    method: 'delete',
    path: '/v1/faults/:id',
    handle: async (engine, req, res) => {
      await engine.removeFault(String(req.params.id));
      res.json({ removed: String(req.params.id) });
    },
  },
  // This namespace's clock: read it, or {freeze: true} | {resume: true} | {advance_ms: N} | {set: ISO time}.
  { method: 'get', path: '/v1/clock', handle: async (engine, _req, res) => res.json(await engine.setClock()) },
  { method: 'post', path: '/v1/clock', handle: async (engine, req, res) => res.json(await engine.setClock((req.body ?? null) as ClockChange)) },
  // A fresh start for this namespace; the namespaces alive; forget this one.
  {
    method: 'post',
    path: '/v1/reset',
    handle: async (engine, _req, res) => {
      await engine.reset();
      res.json({ reset: engine.namespace });
    },
  },
  {
    method: 'get',
    path: '/v1/namespaces',
    handle: (engine, _req, res) =>
      res.json({
        namespaces: engine.space.all().map((e) => ({ name: e.namespace, outbox: e.outboxStore.stats(), faults: e.faults.size, clock: e.clock.state() })),
      }),
  },
  {
    method: 'delete',
    path: '/v1/namespace',
    handle: (engine, req, res) => {
      const name = namespaceOf(req);
      if (name === undefined) throw new BadRequestError('name the namespace to delete: DELETE /ns/NAME/v1/namespace');
      res.json({ deleted: engine.space.delete(name) });
    },
  },
  { method: 'get', path: '/v1/info', handle: (engine, _req, res) => res.json(engine.info()) },
  // Does the app answer? One GET to each of its URLs (any HTTP status counts).
  { method: 'get', path: '/v1/app', handle: async (engine, _req, res) => res.json({ apps: await engine.probeApps() }) },
];

/** The path prefixes the guard covers: every route's path up to its first parameter. */
export const CONTROL_PATHS: readonly string[] = [...new Set(CONTROL_ROUTES.map((r) => r.path.replace(/\/:.*$/, '')))];
