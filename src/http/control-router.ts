// The control API and /healthz on bare node:http, ahead of express: each route of CONTROL_ROUTES found by method and
// path, issue 9's guard before the body is read, the JSON body read by readJsonBody, each failure answered in the one
// coded shape. Express served them through a router, a body parser and a query parser per request; it is left
// for the web console's pages, and loaded only when one is asked for (it was a fifth of the cold start).
import http, { type IncomingMessage } from 'node:http';
import querystring from 'node:querystring';
import type { Engine } from '../core/engine.js';
import { BadRequestError, NotFoundError } from '../domain/errors.js';
import { CONTROL_PATHS, CONTROL_ROUTES, type ControlRequest, type ControlResponse } from './control-api.js';
import { answerError } from './errors.js';
import { checkRequest } from './guard.js';
import { readJsonBody, writeJson } from './json-body.js';
import { engineFor } from './namespace.js';
import { SERVICE_BODY_LIMIT } from './service-api.js';

/** node's ServerResponse with the two methods control routes use; the HTTP server makes every response one. */
export class JsonResponse extends http.ServerResponse implements ControlResponse {
  status(code: number): this {
    this.statusCode = code;
    return this;
  }

  json(value: unknown): void {
    writeJson(this, this.statusCode, value);
  }
}

type Route = (typeof CONTROL_ROUTES)[number];

/** Routes without parameters by "METHOD /path" (lower case); the others by pattern. Paths match as express's did:
 *  in any case, with or without a trailing slash. */
const FIXED = new Map<string, Route>();
const PATTERNS: Array<{ route: Route; pattern: RegExp; names: string[] }> = [];
for (const route of CONTROL_ROUTES) {
  if (!route.path.includes('/:')) {
    FIXED.set(`${route.method.toUpperCase()} ${route.path.toLowerCase()}`, route);
    continue;
  }
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((s) => (s.startsWith(':') ? (names.push(s.slice(1)), '([^/]+)') : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  PATTERNS.push({ route, pattern: new RegExp(`^${source}/?$`, 'i'), names });
}
const PREFIXES = CONTROL_PATHS.map((p) => p.toLowerCase());

function find(method: string, path: string): { route: Route; params: Record<string, string> } | null {
  const lower = path.length > 1 && path.endsWith('/') ? path.slice(0, -1).toLowerCase() : path.toLowerCase();
  const fixed = FIXED.get(`${method} ${lower}`);
  if (fixed) return { route: fixed, params: {} };
  for (const { route, pattern, names } of PATTERNS) {
    if (route.method.toUpperCase() !== method) continue;
    const m = pattern.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    names.forEach((name, i) => {
      const raw = m[i + 1]!;
      try {
        params[name] = decodeURIComponent(raw);
      } catch {
        throw new BadRequestError(`Failed to decode param '${raw}'`);
      }
    });
    return { route, params };
  }
  return null;
}

/** Whether a request carries a body, as body-parser decided (a Content-Length, even 0, or chunked). */
function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || !Number.isNaN(Number(req.headers['content-length'] ?? NaN));
}

/**
 * The control surface as a request handler: true when it took the request (/healthz, or anything under a control
 * path, unknown ones answered 404 after the guard), false to pass it on.
 */
export function controlRouter(root: Engine, listenHost: string): (req: IncomingMessage, res: JsonResponse) => boolean {
  return (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const lower = path.toLowerCase();
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? '');
    if (lower === '/healthz' || lower === '/healthz/') {
      if (method !== 'GET') return false;
      const refused = checkRequest(req, 'health', listenHost);
      if (refused) answerError(res, refused);
      else writeJson(res, 200, { ok: true });
      return true;
    }
    if (!PREFIXES.some((p) => lower === p || lower.startsWith(`${p}/`))) return false;
    const refused = checkRequest(req, 'control', listenHost);
    if (refused) return (answerError(res, refused), true);
    let found: ReturnType<typeof find>;
    try {
      found = find(method, path);
    } catch (e) {
      return (answerError(res, e), true);
    }
    if (!found) return (answerError(res, new NotFoundError(`no such endpoint: ${req.method} ${path}`)), true);
    const { route, params } = found;
    const run = (body: unknown): void => {
      const control = Object.assign(req, { body, query: querystring.parse(q === -1 ? '' : url.slice(q + 1)), params }) as ControlRequest;
      // A route may throw or reject: either way the client gets the coded error. (No promise around a route that
      // returns one: a pending long-poll keeps its own chain only.)
      let answered: unknown;
      try {
        answered = route.handle(engineFor(root, control), control, res);
      } catch (e) {
        return answerError(res, e);
      }
      if (answered instanceof Promise) answered.catch((e: unknown) => answerError(res, e));
    };
    if (!hasBody(req)) run(undefined);
    else readJsonBody(req, SERVICE_BODY_LIMIT, (err, body) => (err ? answerError(res, err) : run(body)));
    return true;
  };
}
