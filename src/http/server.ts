// Wires the HTTP surfaces onto one express app and one server.
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import express from 'express';
import type { Engine } from '../core/engine.js';
import { BadRequestError } from '../domain/errors.js';
import { CONTROL_PATHS, controlApi } from './control-api.js';
import { errorHandler, notFound } from './errors.js';
import { apiProtocolOf, serveApiCall } from './api-server.js';
import { attachEventsFeed, refuse, type UpgradeHandler } from './events-ws.js';
import { guard } from './guard.js';
import { SERVICE_BODY_LIMIT, serviceApi } from './service-api.js';
import { consoleFiles, consoleOff } from './ui.js';
import { stripNamespace } from './namespace.js';

/** Surfaces in rooms of their own that share the HTTP port (XMPP over WebSocket and its discovery). */
export interface HttpExtras {
  routes?: express.Router[];
  /** WebSocket upgrades by path, beside /v1/events */
  upgrades?: Record<string, UpgradeHandler>;
}

export interface HttpSurface {
  server: http.Server;
  closeFeed(): void;
  /** End every connection still open, upgraded ones (WebSockets) included, so shutdown waits on no client */
  destroyConnections(): void;
}

export function createHttpServer(engine: Engine, extras: HttpExtras = {}): HttpSurface {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const json = express.json({
    limit: SERVICE_BODY_LIMIT,
    // Any JSON value parses (PUT /v1/presence/:jid takes a bare "away"); each handler checks its shape.
    strict: false,
    type: () => true,
    verify: (_req, _res, buf) => {
      if (!isUtf8(buf)) throw new BadRequestError('the request body is not valid UTF-8');
    },
  });
  const host = engine.options.host;
  // Each surface's guard runs before anything reads the body, so a refused page changes nothing and learns nothing
  // from parse errors. (The service API is served before express, below.)
  app.get('/healthz', guard('health', host), (_req, res) => {
    res.json({ ok: true });
  });
  app.use([...CONTROL_PATHS], guard('control', host), json);
  app.use(controlApi(engine));
  for (const r of extras.routes ?? []) app.use(r);
  if (!engine.options.ui) app.use(consoleOff());
  app.use(notFound);
  app.use(errorHandler);

  // The app's calls (JSON and App Engine's API-server protocol) come first and skip express: the busiest paths pass
  // the fewest layers.
  const service = serviceApi(engine, host);
  const page = engine.options.ui ? consoleFiles(host) : () => false;
  const server = http.createServer((req, res) => {
    // /ns/NAME/... is the same surface for one namespace: the prefix goes before anything routes or guards.
    stripNamespace(req);
    const protocol = apiProtocolOf(req);
    if (protocol) serveApiCall(engine, protocol, req, res);
    else if (!service(req, res) && !page(req, res)) app(req, res);
  });
  server.keepAliveTimeout = 5_000;
  // Node's closeAllConnections() does not reach upgraded sockets, and a WebSocket client that ignores the close
  // frame would hold server.close() for ws's 30 s close timeout: every socket is tracked here instead.
  const sockets = new Set<Duplex>();
  server.on('connection', (socket: Duplex) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // What Node's parser refuses (bad syntax, headers over 16 KB) gets a coded body too, not a bare status line.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || err.code === 'ECONNRESET') return void socket.destroy();
    if (err.code === 'HPE_HEADER_OVERFLOW')
      return refuse(
        socket,
        431,
        'Request Header Fields Too Large',
        'the request headers (the URL included) are over 16 KB; send long values in a JSON body',
        'EXCEEDED_MAX_SIZE',
      );
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return refuse(socket, 408, 'Request Timeout', 'the request was not received in time', 'TIMEOUT');
    refuse(socket, 400, 'Bad Request', `the request is not valid HTTP/1.1 (${err.code ?? err.message})`, 'BAD_REQUEST');
  });
  const feed = attachEventsFeed(server, engine, engine.options.host, extras.upgrades);
  return { server, closeFeed: () => feed.close(), destroyConnections: () => sockets.forEach((s) => s.destroy()) };
}
