// The app's side: the four calls of the original service, JSON in and out, names as in the original API.
import type { IncomingHttpHeaders } from 'node:http';
import { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import type { CallContext } from '../core/call-context.js';
import type { Engine } from '../core/engine.js';
import { rejection } from '../core/rejections.js';
import { NotFoundError } from '../domain/errors.js';
import { toXmppError } from './errors.js';

const header = (h: string | string[] | undefined): string | undefined => (Array.isArray(h) ? h[0] : h);

/** X-AppEngine-Version names the calling version; X-AppEngine-API-Ticket (as the SDKs send it) the delivery being answered. */
function callContext(headers: IncomingHttpHeaders): CallContext {
  return { protocol: 'json', version: header(headers['x-appengine-version']), ticket: header(headers['x-appengine-api-ticket']) };
}

export function serviceApi(engine: Engine): Router {
  const r = Router();
  r.post('/v1/xmpp/send_message', (req, res) => {
    const { statuses } = engine.sendMessage(req.body, callContext(req.headers));
    res.json({ statuses });
  });
  r.post('/v1/xmpp/send_invite', (req, res) => {
    engine.sendInvite(req.body, callContext(req.headers));
    res.json({});
  });
  r.post('/v1/xmpp/get_presence', (req, res) => {
    const { presence } = engine.getPresence(req.body, callContext(req.headers));
    res.json({ presence });
  });
  r.post('/v1/xmpp/send_presence', (req, res) => {
    engine.sendPresence(req.body, callContext(req.headers));
    res.json({});
  });
  return r;
}

/** Mounted at /v1/xmpp after the routes: any other path there is an unknown call. */
export const unknownCall: RequestHandler = (req, _res, next) => {
  next(new NotFoundError(`no such endpoint: ${req.method} ${req.baseUrl}${req.path}`));
};

/** Mounted at /v1/xmpp: every refused call becomes a `rejected` event, then the shared handler answers it. */
export function reportRejected(engine: Engine): ErrorRequestHandler {
  return (err, req, _res, next) => {
    const x = toXmppError(err);
    engine.emit(rejection(req.path.replace(/^\//, '') || '/', 'json', x, req.body));
    next(err);
  };
}
