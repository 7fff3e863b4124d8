// The web console: GET / serves its page and /ui/ its bundle (built by `npm run build` into dist/ui), under a strict
// Content-Security-Policy: only the emulator's own scripts, styles and connections; no inline script; nothing remote.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { NotFoundError, UnspecifiedError } from '../domain/errors.js';
import { answerError } from './errors.js';
import { checkRequest } from './guard.js';

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  // 'self' covers the WebSocket feed on the same host and port.
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** dist/ui of this package, found from its package.json so it does not depend on where this file was compiled to. */
export function consoleDir(): string {
  const pkg = createRequire(import.meta.url).resolve('xmpp-emu/package.json');
  return path.join(path.dirname(pkg), 'dist', 'ui');
}

function secure(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CONSOLE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

/** GET / with the console off: a coded 404 that says why. True when it took the request. */
export function consoleOff(req: IncomingMessage, res: ServerResponse): boolean {
  if ((req.method !== 'GET' && req.method !== 'HEAD') || (req.url ?? '').split('?')[0] !== '/') return false;
  answerError(res, new NotFoundError('the web console is off (started with --no-ui); the control API is under /v1/'));
  return true;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/**
 * GET / (the page) and /ui/* (the bundle), served ahead of express as the app's calls are: the files are read once
 * and kept in memory (they are small), so the first paint waits on no router, no stat and no file stream. The
 * guard runs first (`console`: loopback Host, same-origin browsers only). True when it took the request.
 */
export function consoleFiles(listenHost: string): (req: IncomingMessage, res: ServerResponse) => boolean {
  const dir = consoleDir();
  const kept = new Map<string, Asset | null>();
  const asset = (name: string): Asset | null => {
    if (!kept.has(name)) {
      let found: Asset | null = null;
      try {
        const body = fs.readFileSync(path.join(dir, name));
        found = { body, type: TYPES[path.extname(name)] ?? 'application/octet-stream', etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
      } catch {
        // Not built, or no such file: answered below with a coded error.
      }
      kept.set(name, found);
    }
    return kept.get(name)!;
  };
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const p = q === -1 ? url : url.slice(0, q);
    if (p !== '/' && !p.startsWith('/ui/')) return false;
    const refused = checkRequest(req, 'console', listenHost);
    if (refused) return (answerError(res, refused), true);
    const name = p === '/' ? 'index.html' : p.slice('/ui/'.length);
    // Only the bundle's own flat names: nothing outside dist/ui can be asked for.
    const a = /^[\w.-]+$/.test(name) && !name.startsWith('.') ? asset(name) : null;
    if (!a) {
      if (name === 'index.html') answerError(res, new UnspecifiedError(`the web console is not built (no ${path.join(dir, name)}); run npm run build`));
      else answerError(res, new NotFoundError(`no console file ${p}`));
      return true;
    }
    secure(res);
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('ETag', a.etag);
    if (req.headers['if-none-match'] === a.etag) return (res.writeHead(304).end(), true);
    res.writeHead(200, { 'Content-Type': a.type, 'Content-Length': a.body.length });
    res.end(req.method === 'HEAD' ? undefined : a.body);
    return true;
  };
}
