// Wires the HTTP surfaces onto one node:http server: each takes what is its own, in order of traffic, behind its
// guard; what none takes is a coded 404. No framework: express was a fifth of the cold start and most of a control
// call's cost.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Engine } from '../core/engine.js';
import { controlRouter, JsonResponse } from './control-router.js';
import { NotFoundError } from '../domain/errors.js';
import { answerError } from './errors.js';
import { apiProtocolOf, serveApiCall } from './api-server.js';
import { attachEventsFeed, refuse, type UpgradeHandler } from './events-ws.js';
import { serviceApi } from './service-api.js';
import { consoleFiles, consoleOff } from './ui.js';
import { stripNamespace } from './namespace.js';

/** A surface's request handler: true when it took the request. */
export type Handler = (req: IncomingMessage, res: ServerResponse) => boolean;

/** Surfaces in rooms of their own that share the HTTP port (XMPP over WebSocket and its discovery). */
export interface HttpExtras {
  handlers?: Handler[];
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
  const host = engine.options.host;
  // Each surface's guard runs before anything reads the body, so a refused page changes nothing and learns nothing
  // from parse errors.
  const service = serviceApi(engine, host);
  const control = controlRouter(engine, host);
  const page = engine.options.ui ? consoleFiles(host) : consoleOff;
  const handlers = extras.handlers ?? [];
  // Every response is a JsonResponse, so a control route can answer with res.json() as it did under express.
  const server = http.createServer({ ServerResponse: JsonResponse as typeof http.ServerResponse }, (req, res) => {
    // /ns/NAME/... is the same surface for one namespace: the prefix goes before anything routes or guards.
    stripNamespace(req);
    const protocol = apiProtocolOf(req);
    if (protocol) return serveApiCall(engine, protocol, req, res);
    if (service(req, res) || control(req, res as JsonResponse) || page(req, res) || handlers.some((h) => h(req, res))) return;
    const url = req.url ?? '/';
    answerError(res, new NotFoundError(`no such endpoint: ${req.method} ${url.split('?')[0]}`));
  });
  server.keepAliveTimeout = 5_000;
  // Node's closeAllConnections() does not reach upgraded sockets, and a WebSocket client that ignores the close
  // frame would hold server.close() for ws's 30 s close timeout: every socket is tracked here instead.
  const sockets = new Set<Duplex>();
  // One listener for every connection ('close' calls it with the socket as `this`), not a closure per socket kept
  // for as long as a long-poll holds it.
  function forget(this: Duplex): void {
    sockets.delete(this);
  }
  server.on('connection', (socket: Duplex) => {
    sockets.add(socket);
    socket.on('close', forget);
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
