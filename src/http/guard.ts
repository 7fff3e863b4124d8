// A localhost tool must not be drivable by a web page: refuse foreign Origins and non-loopback Host names (DNS rebinding).
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { ForbiddenError } from '../domain/errors.js';

const LOOPBACK = /^(localhost|[a-z0-9-]+\.localhost|127(?:\.\d{1,3}){3}|\[::1\]|::1)$/i;

function hostnameOf(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const i = host.lastIndexOf(':');
  return i === -1 ? host : host.slice(0, i);
}

/** Why this request is refused, or null when it may proceed. `listenHost` is also trusted when it is not a wildcard. */
export function refusal(req: Pick<IncomingMessage, 'headers'>, listenHost: string): string | null {
  const host = req.headers.host;
  if (!host) return 'the request has no Host header';
  const name = hostnameOf(host);
  const trusted = (n: string): boolean => LOOPBACK.test(n) || (n === listenHost && listenHost !== '0.0.0.0' && listenHost !== '::');
  if (!trusted(name)) return `Host "${host}" is not a loopback name; the control API answers only to localhost (DNS rebinding protection)`;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let o: URL;
    try {
      o = new URL(origin);
    } catch {
      return `Origin "${origin}" is not the emulator's own`;
    }
    // The emulator's own pages may call it: same host name family and same port as the Host header.
    const samePort = (o.port || (o.protocol === 'https:' ? '443' : '80')) === (host.slice(name.length + 1) || '80');
    if (!trusted(o.hostname) || !samePort) {
      return `Origin "${origin}" is not the emulator's own; browsers on other sites may not drive the control API`;
    }
  }
  return null;
}

export function localOnly(listenHost: string): RequestHandler {
  return (req, _res, next) => {
    const why = refusal(req, listenHost);
    next(why ? new ForbiddenError(why) : undefined);
  };
}
