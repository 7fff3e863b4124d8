// The developer's side: inject inbound traffic, read and await the outbox, set presence, read counters.
import { Router, type Request, type Response } from 'express';
import type { Emulator } from '../core/emulator.js';
import type { Outbox, OutboxFilter } from '../core/outbox.js';
import { appAddresses } from '../domain/addresses.js';
import { BadRequestError, TimeoutError } from '../domain/errors.js';
import type { InboundKind } from '../domain/inbound.js';

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
    if (kind !== 'message' && kind !== 'invite' && kind !== 'presence') throw new BadRequestError(`kind "${kind}" is not one of: message, invite, presence`);
    f.kind = kind;
  }
  for (const k of ['to', 'from', 'contains'] as const) {
    const v = queryString(req, k);
    if (v !== undefined) f[k] = v;
  }
  const matches = queryString(req, 'matches');
  if (matches !== undefined) {
    try {
      f.matches = new RegExp(matches);
    } catch (e) {
      throw new BadRequestError(`matches is not a valid regular expression: ${(e as Error).message}`);
    }
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

export function controlApi(emulator: Emulator): Router {
  const r = Router();

  for (const kind of ['message', 'presence', 'subscription', 'error'] as InboundKind[]) {
    r.post(`/v1/inbound/${kind}`, async (req, res) => {
      res.json(await emulator.inject(kind, req.body));
    });
  }

  r.get('/v1/outbox', async (req, res) => {
    const limit = queryInt(req, 'limit', 1, Number.MAX_SAFE_INTEGER);
    await writeListing(res, emulator.outbox, filterFromQuery(req), limit);
  });

  r.get('/v1/outbox/wait', async (req, res) => {
    const filter = filterFromQuery(req);
    const timeoutMs = queryInt(req, 'timeout_ms', 0, MAX_WAIT_MS) ?? 10_000;
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    const entry = await emulator.outbox.wait(filter, timeoutMs, abort.signal);
    if (res.destroyed) return;
    if (!entry) throw new TimeoutError(`no outbox entry matched within ${timeoutMs} ms`);
    res.json({ entry });
  });

  r.delete('/v1/outbox', (_req, res) => {
    res.json({ cleared: emulator.clearOutbox() });
  });

  r.get('/v1/presence', (_req, res) => {
    res.json(emulator.presence.list());
  });

  r.put('/v1/presence/:jid', (req, res) => {
    res.json({ jid: req.params.jid, ...emulator.setPresence(String(req.params.jid), req.body) });
  });

  r.get('/v1/stats', (_req, res) => {
    const m = process.memoryUsage();
    res.json({ quotas: emulator.quotas.snapshot(), outbox: emulator.outbox.stats(), memory: { rss_bytes: m.rss, heap_used_bytes: m.heapUsed } });
  });

  r.get('/v1/info', (_req, res) => {
    const o = emulator.options;
    res.json({
      app_id: o.appId,
      app_url: o.appUrl,
      versions: o.versions,
      addresses: appAddresses(emulator.app),
      inbound_services: emulator.inboundServices,
      app_yaml: o.appYaml,
      presence_file: o.presence,
      strict_presence: o.strictPresence,
    });
  });
  return r;
}
