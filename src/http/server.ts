// Wires the HTTP surfaces onto one express app and one server.
import http from 'node:http';
import { isUtf8 } from 'node:buffer';
import express from 'express';
import type { Engine } from '../core/engine.js';
import { BadRequestError } from '../domain/errors.js';
import { CONTROL_PATHS, controlApi } from './control-api.js';
import { errorHandler, notFound } from './errors.js';
import { apiProtocolOf, serveApiCall } from './api-server.js';
import { attachEventsFeed } from './events-ws.js';
import { guard } from './guard.js';
import { reportRejected, serviceApi, unknownCall } from './service-api.js';

/** Above the service's 1 MB call limit, so that limit is reported by the call's own check. */
export const BODY_LIMIT = '1536kb';

export function createHttpServer(engine: Engine): { server: http.Server; closeFeed(): void } {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const json = express.json({
    limit: BODY_LIMIT,
    // Any JSON value parses (PUT /v1/presence/:jid takes a bare "away"); each handler checks its shape.
    strict: false,
    type: () => true,
    verify: (_req, _res, buf) => {
      if (!isUtf8(buf)) throw new BadRequestError('the request body is not valid UTF-8');
    },
  });
  const host = engine.options.host;
  // The app's calls come first: the busiest path passes the fewest layers. Each surface's guard runs before
  // anything reads the body, so a refused page changes nothing and learns nothing from parse errors.
  app.use('/v1/xmpp', guard('service', host), json);
  app.use(serviceApi(engine));
  app.use('/v1/xmpp', unknownCall, reportRejected(engine));
  app.get('/healthz', guard('health', host), (_req, res) => {
    res.json({ ok: true });
  });
  app.use([...CONTROL_PATHS], guard('control', host), json);
  app.use(controlApi(engine));
  app.use(notFound);
  app.use(errorHandler);

  // App Engine's API-server protocol goes straight to its handler; everything else to express.
  const server = http.createServer((req, res) => {
    const protocol = apiProtocolOf(req);
    if (protocol) serveApiCall(engine, protocol, req, res);
    else app(req, res);
  });
  server.keepAliveTimeout = 5_000;
  const feed = attachEventsFeed(server, engine, engine.options.host);
  return { server, closeFeed: () => feed.close() };
}
