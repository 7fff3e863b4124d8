// The live feed: WebSocket /v1/events sends every event as one JSON text frame.
import type http from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Engine } from '../core/engine.js';
import { FeedBroadcast } from './feed-broadcast.js';
import { checkRequest } from './guard.js';

function refuse(socket: Duplex, status: number, text: string, reason: string, code = status === 404 ? 'NOT_FOUND' : 'UNSPECIFIED_ERROR'): void {
  const body = JSON.stringify({ error: { code, message: reason } });
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

export function attachEventsFeed(server: http.Server, engine: Engine, listenHost: string): { close(): void } {
  // ws is loaded by the first subscriber, not at start-up.
  let wss: WebSocketServer | null = null;
  let closed = false;
  const broadcast = new FeedBroadcast();
  const off = engine.onEvent((event) => broadcast.publish(event));
  const feed = async (): Promise<WebSocketServer> => {
    if (wss) return wss;
    const { WebSocketServer: Server } = await import('ws');
    wss ??= new Server({ noServer: true });
    return wss;
  };
  server.on('upgrade', (req, socket, head) => {
    // A client may reset the connection while we answer; that must not become an unhandled 'error'.
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/v1/events') return refuse(socket, 404, 'Not Found', `no WebSocket endpoint at ${path}; use /v1/events`);
    const refused = checkRequest(req, 'websocket', listenHost);
    if (refused) return refuse(socket, refused.httpStatus, 'Forbidden', refused.message, refused.code);
    if (broadcast.full) return refuse(socket, 503, 'Service Unavailable', `the feed already has ${broadcast.limits.maxClients} clients; close one first`);
    void feed().then((w) => {
      if (closed) return refuse(socket, 503, 'Service Unavailable', 'the emulator is shutting down');
      w.handleUpgrade(req, socket, head, (ws) => onConnection(ws, socket as Socket));
    });
  });
  function onConnection(ws: WebSocket, socket: Socket): void {
    ws.on('error', () => ws.terminate());
    ws.send(JSON.stringify({ type: 'hello', app_id: engine.options.appId, outbox: engine.outboxStore.stats() }));
    // Events follow as frames shared by every client, written straight to the socket after the hello.
    const client = { socket, terminate: () => ws.terminate() };
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
