// The app's side: the four calls of the original service, JSON in and out, names as in the original API. A bare
// node:http handler in front of express: the busiest path pays for no router and no middleware it does not need.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { CallContext } from '../core/call-context.js';
import type { Engine } from '../core/engine.js';
import { rejection } from '../core/rejections.js';
import { NotFoundError } from '../domain/errors.js';
import type { EngineCall } from '../domain/xmpp-rpc.js';
import { sayIfUnexpected, toXmppError } from './errors.js';
import { checkRequest } from './guard.js';
import { readJsonBody, writeJson } from './json-body.js';
import { answerAtTurnEnd } from '../core/turn-end.js';

/** Above the service's 1 MB call limit, so that limit is reported by the call's own check. */
export const SERVICE_BODY_LIMIT = 1536 * 1024;

const MOUNT = '/v1/xmpp';

/** The calls, by their path under /v1/xmpp/: the engine's own names. */
const CALLS: ReadonlySet<string> = new Set<EngineCall>(['send_message', 'send_invite', 'get_presence', 'send_presence']);
import { callerEngine } from './namespace.js';

const header = (h: string | string[] | undefined): string | undefined => (Array.isArray(h) ? h[0] : h);

/**
 * X-AppEngine-Version names the calling version, X-AppEngine-Module its module (service), X-AppEngine-API-Ticket
 * (as the SDKs send it back) the delivery being answered.
 */
function callContext(headers: IncomingHttpHeaders): CallContext {
  return {
    protocol: 'json',
    version: header(headers['x-appengine-version']),
    module: header(headers['x-appengine-module']),
    ticket: header(headers['x-appengine-api-ticket']),
  };
}

/**
 * The service API as a request handler: true when it took the request (anything under /v1/xmpp), false to pass it
 * on. The guard runs before the body is read; every refused call becomes a `rejected` event, then a coded error.
 */
export function serviceApi(root: Engine, listenHost: string): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (path !== MOUNT && !path.startsWith(`${MOUNT}/`)) return false;
    const name = path.slice(MOUNT.length + 1).replace(/\/$/, '');
    // The namespace named by prefix or header, else the one of the delivery whose ticket the call carries.
    const ctx = callContext(req.headers);
    let engine = root;
    const answer = (status: number, value: unknown): void => answerAtTurnEnd(() => writeJson(res, status, value));
    const refuse = (err: unknown, body?: unknown): void => {
      const x = toXmppError(err);
      engine.emit(rejection(name || '/', 'json', x, body));
      sayIfUnexpected(err, x);
      answer(x.httpStatus, x.toBody());
    };
    const refused = checkRequest(req, 'service', listenHost);
    if (refused) return (refuse(refused), true);
    const unknown = (body?: unknown): void => refuse(new NotFoundError(`no such endpoint: ${req.method} ${path}`), body);
    if (req.method !== 'POST') return (unknown(), true);
    // The body is read even for an unknown call, so its rejected event shows what the app sent.
    readJsonBody(req, SERVICE_BODY_LIMIT, (err, body, asciiText) => {
      try {
        engine = callerEngine(root, req, ctx.ticket);
      } catch (e) {
        return refuse(e, body);
      }
      if (err) return refuse(err);
      if (!CALLS.has(name)) return unknown(body);
      if (asciiText) ctx.asciiText = true;
      // Answered after any latency the call's faults add (at once when none do).
      engine.serve(
        () => engine.call(name as EngineCall, body, ctx),
        (e, result) => (e ? refuse(e, body) : answer(200, result)),
      );
    });
    return true;
  };
}
