// The live feed: WebSocket /v1/events sends every event as one JSON text frame.
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Engine } from '../core/engine.js';
import { checkRequest } from './guard.js';

const MAX_BUFFERED = 16 * 1024 * 1024;

function refuse(socket: Duplex, status: number, text: string, reason: string, code = status === 404 ? 'NOT_FOUND' : 'UNSPECIFIED_ERROR'): void {
  const body = JSON.stringify({ error: { code, message: reason } });
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

export function attachEventsFeed(server: http.Server, engine: Engine, listenHost: string): { close(): void } {
  // ws is loaded by the first subscriber, not at start-up.
  let wss: WebSocketServer | null = null;
  let closed = false;
  const feed = async (): Promise<WebSocketServer> => {
    if (wss) return wss;
    const { WebSocketServer: Server } = await import('ws');
    wss ??= new Server({ noServer: true });
    wss.on('connection', onConnection);
    return wss;
  };
  server.on('upgrade', (req, socket, head) => {
    // A client may reset the connection while we answer; that must not become an unhandled 'error'.
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/v1/events') return refuse(socket, 404, 'Not Found', `no WebSocket endpoint at ${path}; use /v1/events`);
    const refused = checkRequest(req, 'websocket', listenHost);
    if (refused) return refuse(socket, refused.httpStatus, 'Forbidden', refused.message, refused.code);
    void feed().then((w) => {
      if (closed) return refuse(socket, 503, 'Service Unavailable', 'the emulator is shutting down');
      w.handleUpgrade(req, socket, head, (ws) => w.emit('connection', ws, req));
    });
  });
  function onConnection(ws: WebSocket): void {
    ws.on('error', () => ws.terminate());
    const off = engine.onEvent((event) => {
      // A consumer that stops reading is cut off rather than allowed to grow our memory.
      if (ws.bufferedAmount > MAX_BUFFERED) return ws.terminate();
      ws.send(JSON.stringify(event));
    });
    ws.on('close', off);
    ws.send(JSON.stringify({ type: 'hello', app_id: engine.options.appId, outbox: engine.outboxStore.stats() }));
  }
  return {
    close() {
      closed = true;
      if (!wss) return;
      for (const ws of wss.clients) ws.close(1001, 'emulator shutting down');
      wss.close();
    },
  };
}
