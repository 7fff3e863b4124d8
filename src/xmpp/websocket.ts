// XMPP over WebSocket (RFC 7395) at /xmpp-websocket on the emulator's HTTP port (/ns/NAME/xmpp-websocket for a
// namespace): subprotocol `xmpp`, one element per text frame, the same Origin rules as the control API.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { refuse } from '../http/events-ws.js';
import { checkRequest } from '../http/guard.js';
import { namespaceOf } from '../http/namespace.js';
import { NS, x } from './element.js';
import type { XmppHub } from './hub.js';
import { readFrame } from './parser.js';

export const WEBSOCKET_PATH = '/xmpp-websocket';

export interface WebSocketEndpoint {
  path: string;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** after the sessions were told to close: wait (at most a second) for their sockets, then cut the rest */
  close(): Promise<void>;
}

export function websocketEndpoint(hub: XmppHub, o: { listenHost: string; maxStanzaBytes: number }): WebSocketEndpoint {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: o.maxStanzaBytes,
    // RFC 7395 §3.1: the server must echo `xmpp`, or the client gives up.
    handleProtocols: (protocols) => (protocols.has('xmpp') ? 'xmpp' : false),
  });

  function onConnection(ws: WebSocket, namespace: string | undefined): void {
    const transport = {
      kind: 'websocket' as const,
      secure: () => true,
      openStream: (attrs: Record<string, string>) => send(x('open', { xmlns: NS.framing, ...attrs })),
      send,
      closeStream() {
        send(x('close', { xmlns: NS.framing }));
        ws.close(1000);
      },
      restart: () => undefined,
    };
    function send(text: string): void {
      if (ws.readyState === ws.OPEN) ws.send(text);
    }
    const session = hub.admit(transport, namespace);
    if (!session) {
      ws.close(1013, 'too many connections');
      return;
    }
    ws.on('message', (data, isBinary) => {
      // RFC 7395 §3.2: text frames only.
      if (isBinary) return session.onBadXml('bad-format', 'binary frames are not allowed (RFC 7395 §3.2)');
      readFrame(data.toString(), session);
    });
    ws.on('error', () => ws.terminate());
    ws.on('close', () => session.onDisconnect());
  }

  return {
    path: WEBSOCKET_PATH,
    upgrade(req, socket, head) {
      // A client may reset the connection while we answer; that must not become an unhandled 'error'.
      socket.on('error', () => socket.destroy());
      const refused = checkRequest(req, 'websocket', o.listenHost);
      if (refused) return refuse(socket, refused.httpStatus, 'Forbidden', refused.message, refused.code);
      const protocols = String(req.headers['sec-websocket-protocol'] ?? '')
        .split(',')
        .map((p) => p.trim());
      if (!protocols.includes('xmpp'))
        return refuse(socket, 400, 'Bad Request', `${WEBSOCKET_PATH} speaks only the WebSocket subprotocol "xmpp" (RFC 7395)`, 'BAD_REQUEST');
      const namespace = namespaceOf(req);
      const badNamespace = namespace === undefined ? null : hub.checkNamespace(namespace);
      if (badNamespace) return refuse(socket, 400, 'Bad Request', badNamespace, 'BAD_REQUEST');
      wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, namespace));
    },
    async close() {
      const open = [...wss.clients].filter((ws) => ws.readyState !== ws.CLOSED);
      await Promise.race([
        Promise.all(open.map((ws) => new Promise((resolve) => ws.once('close', resolve)))),
        new Promise((resolve) => setTimeout(resolve, 1000).unref()),
      ]);
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}
