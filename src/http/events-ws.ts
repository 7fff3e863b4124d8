// The live feed: WebSocket /v1/events sends every event as one JSON text frame.
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Emulator } from '../core/emulator.js';
import { refusal } from './guard.js';

const MAX_BUFFERED = 16 * 1024 * 1024;

function refuse(socket: Duplex, status: number, text: string, reason: string): void {
  const body = JSON.stringify({ error: { code: status === 403 ? 'FORBIDDEN' : 'NOT_FOUND', message: reason } });
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

export function attachEventsFeed(server: http.Server, emulator: Emulator, listenHost: string): { close(): void } {
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/v1/events') return refuse(socket, 404, 'Not Found', `no WebSocket endpoint at ${path}; use /v1/events`);
    const why = refusal(req, listenHost);
    if (why) return refuse(socket, 403, 'Forbidden', why);
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  wss.on('connection', (ws: WebSocket) => {
    ws.on('error', () => ws.terminate());
    const off = emulator.on((event) => {
      // A consumer that stops reading is cut off rather than allowed to grow our memory.
      if (ws.bufferedAmount > MAX_BUFFERED) return ws.terminate();
      ws.send(JSON.stringify(event));
    });
    ws.on('close', off);
    ws.send(JSON.stringify({ type: 'hello', app_id: emulator.options.appId, outbox: emulator.outbox.stats() }));
  });
  return {
    close() {
      for (const ws of wss.clients) ws.close(1001, 'emulator shutting down');
      wss.close();
    },
  };
}
