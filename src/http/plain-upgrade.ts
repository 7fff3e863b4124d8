// Once an 'upgrade' listener exists, Node hands it every request that carries an Upgrade header. One that is not a
// WebSocket upgrade we serve (h2c from curl --http2, say) is an ordinary request: replay its head, without the
// upgrade, into the server as a fresh connection, so it is answered like any other (and its body read as usual).
import type http from 'node:http';
import { Duplex } from 'node:stream';

const UPGRADE_TOKENS = /^(upgrade|http2-settings)$/i;

/** True for `Upgrade: websocket` (what the feed and /xmpp-websocket serve). */
export function isWebSocketUpgrade(req: http.IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
}

/** Serve an upgrade request as the plain request it also is. */
export function serveAsRequest(server: http.Server, req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
  const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    if (UPGRADE_TOKENS.test(name)) continue;
    if (name.toLowerCase() === 'connection') {
      const rest = value
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t && !UPGRADE_TOKENS.test(t));
      if (rest.length) lines.push(`${name}: ${rest.join(', ')}`);
      continue;
    }
    lines.push(`${name}: ${value}`);
  }
  const conn = new Duplex({
    read: () => void socket.resume(),
    write: (chunk: Buffer, _encoding, done) => void socket.write(chunk, (e) => done(e ?? null)),
    final: (done) => void socket.end(() => done()),
    destroy: (err, done) => {
      socket.destroy();
      done(err);
    },
  });
  conn.push(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), head]));
  socket.on('data', (chunk: Buffer) => {
    if (!conn.push(chunk)) socket.pause();
  });
  socket.on('end', () => conn.push(null));
  socket.on('close', () => conn.destroy());
  server.emit('connection', conn);
}
