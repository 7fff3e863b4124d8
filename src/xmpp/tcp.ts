// Client-to-server XMPP over TCP (RFC 6120): a stream per socket, STARTTLS required before SASL.
import net from 'node:net';
import tls from 'node:tls';
import { NS, x } from './element.js';
import type { XmppHub } from './hub.js';
import { StreamReader } from './parser.js';
import type { Transport } from './session.js';

/** How long a closing stream waits for the client's own close before the socket is cut. */
const CLOSE_GRACE_MS = 1000;

export interface TcpOptions {
  host: string;
  port: number;
  maxStanzaBytes: number;
  /** the TLS context, made on the first STARTTLS (a certificate may have to be generated) */
  secureContext: () => Promise<tls.SecureContext>;
}

export async function listenTcp(hub: XmppHub, o: TcpOptions): Promise<net.Server> {
  const server = net.createServer((socket) => accept(socket, hub, o));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

function accept(raw: net.Socket, hub: XmppHub, o: TcpOptions): void {
  let socket: net.Socket = raw;
  let closing = false;
  raw.setNoDelay(true);
  const transport: Transport & { startTls(): void } = {
    kind: 'tcp',
    secure: () => socket instanceof tls.TLSSocket,
    openStream: (attrs) => write(`<?xml version='1.0'?>${x('stream:stream', { xmlns: NS.client, 'xmlns:stream': NS.stream, ...attrs }).replace(/\/>$/, '>')}`),
    send: write,
    closeStream() {
      if (closing) return;
      closing = true;
      write('</stream:stream>');
      socket.end();
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
    },
    restart: () => reader.restart(),
    startTls() {
      // Nothing more is read in plain text: the client's next bytes are its TLS handshake.
      raw.removeListener('data', onData);
      raw.pause();
      o.secureContext().then(
        (secureContext) => {
          if (raw.destroyed) return;
          const secured = new tls.TLSSocket(raw, { isServer: true, secureContext });
          socket = secured;
          secured.on('data', onData);
          secured.on('error', () => secured.destroy());
          secured.on('close', () => session.onDisconnect());
        },
        () => raw.destroy(),
      );
    },
  };
  function write(text: string): void {
    if (!socket.destroyed && socket.writable) socket.write(text);
  }
  const admitted = hub.admit(transport);
  if (!admitted) {
    raw.end(
      `<?xml version='1.0'?><stream:stream xmlns="${NS.client}" xmlns:stream="${NS.stream}" version="1.0">` +
        `<stream:error><policy-violation xmlns="${NS.streams}"/><text xmlns="${NS.streams}">too many connections</text></stream:error></stream:stream>`,
    );
    return;
  }
  const session = admitted;
  const reader = new StreamReader(session, o.maxStanzaBytes);
  const onData = (chunk: Buffer): void => reader.write(chunk);
  raw.on('data', onData);
  raw.on('error', () => raw.destroy());
  raw.on('close', () => session.onDisconnect());
}
