// The XMPP surface for real clients: one hub, reached over TCP (with STARTTLS) and over WebSocket on the HTTP
// port, plus XEP-0156 discovery. Started and stopped with the emulator.
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import type tls from 'node:tls';
import { namespaceOf } from '../http/namespace.js';
import type { Engine } from '../core/engine.js';
import { BadRequestError } from '../domain/errors.js';
import { parseJid } from '../domain/jid.js';
import { writeJson } from '../http/json-body.js';
import type { Options } from '../options.js';
import { x } from './element.js';
import { loadCertificate, secureContext, type Certificate } from './certificate.js';
import { XmppHub } from './hub.js';
import { listenTcp } from './tcp.js';
import { WEBSOCKET_PATH, websocketEndpoint, type WebSocketEndpoint } from './websocket.js';

/** Prosody's default stanza limit (c2s_stanza_size_limit). */
export const MAX_STANZA_BYTES = 256 * 1024;
export const MAX_SESSIONS = 1000;

export interface XmppEndpoints {
  hub: XmppHub;
  websocket: WebSocketEndpoint;
  /** GET /.well-known/host-meta(.json): where the WebSocket endpoint is (XEP-0156); true when it answered */
  discovery(req: IncomingMessage, res: ServerResponse): boolean;
  /** listen on the TCP port; answers the port bound */
  listen(): Promise<number>;
  /** the certificate STARTTLS presents: loaded, or generated and kept, as soon as the TCP port is bound */
  certificate(): Promise<Certificate>;
  close(): Promise<void>;
}

/** A users file: a JSON object of bare JID → password. */
export function readUsersFile(file: string): Map<string, string> {
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new BadRequestError(`users file ${file} is not readable JSON: ${(e as Error).message}`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw new BadRequestError(`users file ${file} must hold a JSON object of JID → password`);
  const users = new Map<string, string>();
  for (const [jid, password] of Object.entries(data)) {
    const r = parseJid(jid);
    if (!r.ok || r.jid.resource !== null) throw new BadRequestError(`users file ${file}: "${jid}" is not a bare JID (like alice@example.com)`);
    if (typeof password !== 'string') throw new BadRequestError(`users file ${file}: the password of ${jid} must be a string`);
    users.set(`${r.jid.node.toLowerCase()}@${r.jid.domain}`, password);
  }
  return users;
}

export function createXmpp(engine: Engine, options: Readonly<Options>): XmppEndpoints {
  const hub = new XmppHub(engine, {
    users: options.xmppUsers ? readUsersFile(options.xmppUsers) : null,
    handshakeTimeoutMs: options.xmppHandshakeTimeoutMs,
    pingIntervalMs: options.xmppPingIntervalMs,
    maxSessions: MAX_SESSIONS,
  });
  const websocket = websocketEndpoint(hub, { listenHost: options.host, maxStanzaBytes: MAX_STANZA_BYTES });
  let tcp: Server | null = null;
  let cert: Promise<Certificate> | null = null;
  const certificate = (): Promise<Certificate> =>
    (cert ??= loadCertificate({ certFile: options.xmppCert, keyFile: options.xmppKey, stateDir: options.stateDir }));
  let context: Promise<tls.SecureContext> | null = null;
  return {
    hub,
    websocket,
    discovery,
    async listen() {
      tcp = await listenTcp(hub, {
        host: options.host,
        port: options.xmppPort,
        maxStanzaBytes: MAX_STANZA_BYTES,
        secureContext: () => (context ??= certificate().then(secureContext)),
      }).catch((e: NodeJS.ErrnoException) => {
        throw new Error(
          e.code === 'EADDRINUSE'
            ? `XMPP port ${options.xmppPort} on ${options.host} is already in use (another XMPP server?); try --xmpp-port 0 for a free one, or --no-xmpp`
            : `cannot listen for XMPP on ${options.host}:${options.xmppPort}: ${e.message}`,
        );
      });
      // Made now rather than on the first STARTTLS, so the file exists for the user to trust; not awaited, as
      // generating takes half a second.
      certificate().catch(() => undefined);
      return (tcp.address() as AddressInfo).port;
    },
    certificate,
    async close() {
      hub.close();
      await websocket.close();
      await cert?.catch(() => undefined);
      if (tcp) {
        const server = tcp;
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  };
}

function discovery(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const path = (req.url ?? '').split('?')[0]!.replace(/\/$/, '').toLowerCase();
  const href = wsUrl(req);
  if (path === '/.well-known/host-meta.json') writeJson(res, 200, { links: [{ rel: 'urn:xmpp:alt-connections:websocket', href }] });
  else if (path === '/.well-known/host-meta') {
    const xrd = `<?xml version='1.0' encoding='utf-8'?>${x('XRD', { xmlns: 'http://docs.oasis-open.org/ns/xri/xrd-1.0' }, x('Link', { rel: 'urn:xmpp:alt-connections:websocket', href }))}`;
    res.writeHead(200, { 'Content-Type': 'application/xrd+xml; charset=utf-8', 'Content-Length': Buffer.byteLength(xrd) }).end(xrd);
  } else return false;
  return true;
}

/** The WebSocket endpoint, of the namespace the discovery request named (/ns/NAME/.well-known/...), if any. */
function wsUrl(req: IncomingMessage): string {
  const namespace = namespaceOf(req);
  return `ws://${req.headers.host ?? 'localhost'}${namespace === undefined ? '' : `/ns/${encodeURIComponent(namespace)}`}${WEBSOCKET_PATH}`;
}
