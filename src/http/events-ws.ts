// The live feed: WebSocket /v1/events sends every event as one JSON text frame (every namespace's);
// /ns/NAME/v1/events (or the X-XMPP-Emu-Namespace header) only NAME's. With ?since=SEQ it first replays the kept
// events after SEQ ({"type":"replay","events":[...]} frames), so a client that reconnects misses nothing and gets
// nothing twice.
import type http from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Engine } from '../core/engine.js';
import { EventHistory } from '../core/history.js';
import { FeedBroadcast, textFrameHeader } from './feed-broadcast.js';
import { checkRequest } from './guard.js';
import { namespaceOf, stripNamespace } from './namespace.js';
import { isWebSocketUpgrade, serveAsRequest } from './plain-upgrade.js';

/** Events per replay frame. */
const REPLAY_BATCH = 500;

/** Answer an upgrade request with an HTTP error and a coded JSON body. */
export function refuse(socket: Duplex, status: number, text: string, reason: string, code = status === 404 ? 'NOT_FOUND' : 'UNSPECIFIED_ERROR'): void {
  const body = JSON.stringify({ error: { code, message: reason } });
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

export type UpgradeHandler = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void;

/** Serves /v1/events, and hands other upgrade paths to `others` (each checks its own requests). */
export function attachEventsFeed(server: http.Server, engine: Engine, listenHost: string, others: Record<string, UpgradeHandler> = {}): { close(): void } {
  // ws is loaded by the first subscriber, not at start-up.
  let wss: WebSocketServer | null = null;
  let closed = false;
  const broadcast = new FeedBroadcast();
  // Every event is kept (for ?since=, serialised only if replayed) and broadcast (serialised once, if anyone listens).
  const history = new EventHistory();
  const off = engine.onEvent((event) => {
    history.add(event);
    broadcast.publish(event);
  });
  const feed = async (): Promise<WebSocketServer> => {
    if (wss) return wss;
    const { WebSocketServer: Server } = await import('ws');
    wss ??= new Server({ noServer: true });
    return wss;
  };
  server.on('upgrade', (req, socket, head) => {
    // A client may reset the connection while we answer; that must not become an unhandled 'error'.
    socket.on('error', () => socket.destroy());
    // /ns/NAME/v1/events and /ns/NAME/xmpp-websocket: the prefix goes first, as for every request.
    stripNamespace(req);
    const [path, query = ''] = (req.url ?? '').split('?');
    // Anything but a WebSocket upgrade to one of ours (h2c, or a WebSocket to /v1/outbox) is a plain request.
    const other = path !== undefined && Object.hasOwn(others, path) ? others[path] : undefined;
    if (!isWebSocketUpgrade(req) || (path !== '/v1/events' && !other)) return serveAsRequest(server, req, socket, head);
    if (other) return other(req, socket, head);
    const refused = checkRequest(req, 'websocket', listenHost);
    if (refused) return refuse(socket, refused.httpStatus, 'Forbidden', refused.message, refused.code);
    const sinceText = new URLSearchParams(query).get('since');
    const since = sinceText === null ? null : Number(sinceText);
    if (since !== null && !(Number.isSafeInteger(since) && since >= 0)) {
      return refuse(socket, 400, 'Bad Request', `since must be a whole number (an event seq), not "${sinceText}"`, 'BAD_REQUEST');
    }
    const namespace = namespaceOf(req);
    let scope: Engine;
    try {
      scope = namespace === undefined ? engine : engine.inNamespace(namespace);
    } catch (e) {
      return refuse(socket, 400, 'Bad Request', (e as Error).message, 'BAD_REQUEST');
    }
    if (broadcast.full) return refuse(socket, 503, 'Service Unavailable', `the feed already has ${broadcast.limits.maxClients} clients; close one first`);
    feed().then(
      (w) => {
        if (closed) return refuse(socket, 503, 'Service Unavailable', 'the emulator is shutting down');
        w.handleUpgrade(req, socket, head, (ws) => onConnection(ws, socket as Socket, since, namespace === undefined ? undefined : scope));
      },
      (e: Error) => refuse(socket, 500, 'Internal Server Error', `the feed cannot start: ${e.message}`, 'UNSPECIFIED_ERROR'),
    );
  });
  /** `scope`: the namespace the client follows; undefined: every namespace. */
  function onConnection(ws: WebSocket, socket: Socket, since: number | null, scope: Engine | undefined): void {
    ws.on('error', () => ws.terminate());
    // Frames still gathering hold events the replay below also sends: they go out first, to the others only.
    broadcast.flush();
    // hello, the replay, then the shared live frames: all in this one turn, so nothing falls between them and
    // nothing comes twice. first_seq tells a client whether events it asked for were already dropped.
    ws.send(
      JSON.stringify({
        type: 'hello',
        app_id: engine.options.appId,
        ...(scope ? { namespace: scope.namespace } : {}),
        outbox: (scope ?? engine).outboxStore.stats(),
        first_seq: history.firstSeq,
        last_seq: history.lastSeq,
      }),
    );
    // The replay goes out in one write, as frames of up to REPLAY_BATCH events each: a browser takes a few large
    // messages several times faster than thousands of small ones.
    if (since !== null) {
      const events = history.after(since, scope?.namespace);
      const frames: Buffer[] = [];
      for (let k = 0; k < events.length; k += REPLAY_BATCH) {
        const payload = Buffer.from(`{"type":"replay","events":[${events.slice(k, k + REPLAY_BATCH).join(',')}]}`);
        frames.push(textFrameHeader(payload.length), payload);
      }
      if (frames.length) socket.write(Buffer.concat(frames));
    }
    const client = { socket, terminate: () => ws.terminate(), ...(scope ? { namespace: scope.namespace } : {}) };
    broadcast.add(client);
    ws.on('close', () => broadcast.remove(client));
  }
  return {
    close() {
      closed = true;
      off();
      broadcast.close();
      if (!wss) return;
      for (const ws of wss.clients) ws.close(1001, 'emulator shutting down');
      wss.close();
    },
  };
}
