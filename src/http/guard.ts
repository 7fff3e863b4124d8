// The one place that decides whether a request may reach a surface at all. A localhost tool must not be drivable
// by a web page: browsers mark what they send (Origin, Sec-Fetch-Site), a page can send some requests without a
// preflight (GET, and POST with text/plain, multipart/form-data, application/x-www-form-urlencoded or no type),
// and DNS rebinding makes a foreign page look same-origin. Every surface calls `checkRequest` before it reads a body.
import type { IncomingMessage } from 'node:http';
import { ForbiddenError, UnsupportedMediaTypeError, type XmppError } from '../domain/errors.js';

/** Who may call a surface. */
export interface SurfacePolicy {
  /** 'loopback': only loopback Host names (or the --host given), against DNS rebinding; 'any': any Host (an app in a container) */
  hosts: 'loopback' | 'any';
  /** 'same-origin': browsers only from the emulator's own origin (its own pages); 'none': no browser request at all */
  browsers: 'same-origin' | 'none';
  /** the media types a POST, PUT or PATCH body may have; anything else (or none) is refused with 415 */
  accepts: readonly string[];
}

/** Every surface the emulator serves, by name. A new surface adds its line here, so the rules stay in one place. */
export const SURFACES = {
  /** /v1/xmpp/*: the app's JSON calls, made server-side, so any browser marking means a web page */
  service: { hosts: 'any', browsers: 'none', accepts: ['application/json'] },
  /** the App Engine API server (POST /rpc_http, POST / with X-appcfg-api-version): protobuf, server-side */
  apiServer: { hosts: 'any', browsers: 'none', accepts: ['application/octet-stream'] },
  /** /v1/inbound, /v1/outbox, /v1/presence, /v1/stats, /v1/info: the developer's tools and the emulator's own pages */
  control: { hosts: 'loopback', browsers: 'same-origin', accepts: ['application/json'] },
  /** the web console's pages and assets (GET only) */
  console: { hosts: 'loopback', browsers: 'same-origin', accepts: [] },
  /** WebSocket upgrades: the live feed (/v1/events) and XMPP over WebSocket (/xmpp-websocket) */
  websocket: { hosts: 'loopback', browsers: 'same-origin', accepts: [] },
  /** /healthz: no web page may probe for the emulator, not even through DNS rebinding (where Chromium sends no
   *  fetch metadata, the Host name is the only mark), so loopback names only */
  health: { hosts: 'loopback', browsers: 'same-origin', accepts: [] },
} as const satisfies Record<string, SurfacePolicy>;

export type Surface = keyof typeof SURFACES;

const LOOPBACK = /^(localhost|[a-z0-9-]+\.localhost|127(?:\.\d{1,3}){3}|\[::1\]|::1)$/i;
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
// Values of Sec-Fetch-Site a surface that admits its own pages accepts: its own page, or the user typing the URL.
const OWN_FETCH_SITES = new Set(['same-origin', 'none']);

function hostnameOf(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const i = host.lastIndexOf(':');
  return i === -1 ? host : host.slice(0, i);
}

function header(req: Pick<IncomingMessage, 'headers'>, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** The media type of a Content-Type header, lower case and without parameters ('' when absent). */
export function mediaType(contentType: string | undefined): string {
  if (contentType === undefined) return '';
  const semi = contentType.indexOf(';');
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/**
 * Decide whether `req` may reach `surface`. Returns the coded error to answer with (FORBIDDEN 403 for a foreign
 * Host or a browser request the surface does not admit, UNSUPPORTED_MEDIA_TYPE 415 for a body type it does not
 * speak), or null when the request may proceed. Call it before reading the body, so a refused page learns nothing.
 *
 * Browser markings: `Origin` and `Sec-Fetch-Site` (and `Sec-Fetch-Dest`/`Sec-Fetch-User`). `Sec-Fetch-Mode`
 * alone is not one: Node's own fetch sends `Sec-Fetch-Mode: cors` from server-side code.
 *
 * @param listenHost the host the emulator listens on (options.host); trusted as a Host name unless a wildcard
 */
export function checkRequest(req: Pick<IncomingMessage, 'headers' | 'method'>, surface: Surface, listenHost: string): XmppError | null {
  const policy: SurfacePolicy = SURFACES[surface];
  const host = header(req, 'host');
  const trusted = (n: string): boolean => LOOPBACK.test(n) || (n === listenHost && listenHost !== '0.0.0.0' && listenHost !== '::');
  if (policy.hosts === 'loopback') {
    if (!host) return new ForbiddenError('the request has no Host header');
    if (!trusted(hostnameOf(host)))
      return new ForbiddenError(`Host "${host}" is not a loopback name; this surface answers only to localhost (DNS rebinding protection)`);
  }
  const origin = header(req, 'origin');
  const site = header(req, 'sec-fetch-site');
  const marked = origin !== undefined || site !== undefined || header(req, 'sec-fetch-dest') !== undefined || header(req, 'sec-fetch-user') !== undefined;
  if (marked && policy.browsers === 'none') {
    return new ForbiddenError(
      `a browser request (Origin ${origin ?? 'absent'}, Sec-Fetch-Site ${site ?? 'absent'}) may not call this surface; apps call it from their server`,
    );
  }
  if (site !== undefined && !OWN_FETCH_SITES.has(site.toLowerCase())) {
    return new ForbiddenError(`a ${site} browser request (Sec-Fetch-Site) may not call the emulator; only its own pages may`);
  }
  if (origin !== undefined && !isOwnOrigin(origin, host, trusted)) {
    return new ForbiddenError(`Origin "${origin}" is not the emulator's own; pages on other sites may not call it`);
  }
  if (BODY_METHODS.has(req.method ?? '')) {
    const type = mediaType(header(req, 'content-type'));
    if (!policy.accepts.includes(type)) {
      return new UnsupportedMediaTypeError(
        policy.accepts.length === 0
          ? `${req.method} takes no body here`
          : `Content-Type "${type || '(none)'}" is not accepted here; send ${policy.accepts.join(' or ')}`,
      );
    }
  }
  return null;
}

/** The emulator's own pages: a trusted host name and the same port as the Host header. */
function isOwnOrigin(origin: string, host: string | undefined, trusted: (n: string) => boolean): boolean {
  if (!host) return false;
  let o: URL;
  try {
    o = new URL(origin);
  } catch {
    return false; // "null" (sandboxed frames, file: pages) and garbage
  }
  if (o.protocol !== 'http:' && o.protocol !== 'https:') return false;
  const port = host.slice(hostnameOf(host).length + 1) || '80';
  return trusted(o.hostname) && (o.port || (o.protocol === 'https:' ? '443' : '80')) === port;
}
