// The developer's side: inject inbound traffic, read and await the outbox, set presence, read counters.
import { Router, type Request, type Response } from 'express';
import type { Engine } from '../core/engine.js';
import type { Outbox, OutboxFilter } from '../core/outbox.js';
import { BadRequestError } from '../domain/errors.js';
import { compilePattern } from '../domain/pattern.js';
import { INBOUND_KINDS, isOneOf, OUTBOX_KINDS } from '../domain/vocabulary.js';

const MAX_WAIT_MS = 10 * 60_000;

function queryString(req: Request, key: string): string | undefined {
  const v = (req.query as Record<string, unknown>)[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new BadRequestError(`query parameter ${key} must be given once, as text`);
  return v;
}

function queryInt(req: Request, key: string, min: number, max: number): number | undefined {
  const v = queryString(req, key);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new BadRequestError(`query parameter ${key} must be a whole number from ${min} to ${max}, not "${v}"`);
  return n;
}

/** The outbox filter from ?to=&from=&kind=&contains=&matches=&since= */
export function filterFromQuery(req: Request): OutboxFilter {
  const f: OutboxFilter = {};
  const kind = queryString(req, 'kind');
  if (kind !== undefined) {
    if (!isOneOf(kind, OUTBOX_KINDS)) throw new BadRequestError(`kind "${kind}" is not one of: ${OUTBOX_KINDS.join(', ')}`);
    f.kind = kind;
  }
  for (const k of ['to', 'from', 'contains'] as const) {
    const v = queryString(req, k);
    if (v !== undefined) f[k] = v;
  }
  const matches = queryString(req, 'matches');
  if (matches !== undefined) {
    f.matches = compilePattern(matches);
  }
  const since = queryInt(req, 'since', 0, Number.MAX_SAFE_INTEGER);
  if (since !== undefined) f.since = since;
  return f;
}

/** Bytes gathered before one write of a listing. */
const LISTING_CHUNK = 256 * 1024;

/** Resolve when `res` can take more, or has closed. */
function drained(res: Response): Promise<void> {
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
async function writeListing(res: Response, outbox: Outbox, filter: OutboxFilter, limit: number | undefined): Promise<void> {
  res.status(200).type('application/json');
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
type Handle = (engine: Engine, req: Request, res: Response) => unknown;

/** Every control route, documented where it is handled. The guard's list of paths is derived from this table. */
export const CONTROL_ROUTES: ReadonlyArray<{ method: Method; path: string; handle: Handle }> = [
  // Inject what a user sends: POST /v1/inbound/message|presence|subscription|error → the delivery result.
  ...INBOUND_KINDS.map((kind) => ({
    method: 'post' as const,
    path: `/v1/inbound/${kind}`,
    handle: async (engine: Engine, req: Request, res: Response) => {
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
    handle: async (engine, req, res) => {
      const filter = filterFromQuery(req);
      const timeoutMs = queryInt(req, 'timeout_ms', 0, MAX_WAIT_MS);
      const abort = new AbortController();
      res.on('close', () => abort.abort());
      try {
        res.json({ entry: await engine.waitFor({ ...filter, ...(timeoutMs !== undefined ? { timeoutMs } : {}) }, abort.signal) });
      } catch (e) {
        if (!res.destroyed) throw e;
      }
    },
  },
  { method: 'delete', path: '/v1/outbox', handle: async (engine, _req, res) => res.json({ cleared: await engine.clearOutbox() }) },
  { method: 'get', path: '/v1/presence', handle: async (engine, _req, res) => res.json(await engine.listPresence()) },
  // A word ("away") or {available, show?, status?, subscribed?}.
  {
    method: 'put',
    path: '/v1/presence/:jid',
    handle: async (engine, req, res) => res.json({ jid: req.params.jid, ...(await engine.setPresence(String(req.params.jid), req.body)) }),
  },
  { method: 'get', path: '/v1/stats', handle: (engine, _req, res) => res.json(engine.stats()) },
  { method: 'get', path: '/v1/info', handle: (engine, _req, res) => res.json(engine.info()) },
];

/** The path prefixes the guard covers: every route's path up to its first parameter. */
export const CONTROL_PATHS: readonly string[] = [...new Set(CONTROL_ROUTES.map((r) => r.path.replace(/\/:.*$/, '')))];

export function controlApi(engine: Engine): Router {
  const r = Router();
  for (const route of CONTROL_ROUTES) r[route.method](route.path, (req, res) => route.handle(engine, req, res));
  return r;
}
