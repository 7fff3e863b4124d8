// The web console: GET / serves its page and /ui/ its bundle (built by `npm run build` into dist/ui), under a strict
// Content-Security-Policy: only the emulator's own scripts, styles and connections; no inline script; nothing remote.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import express, { Router, type RequestHandler, type Response } from 'express';
import { NotFoundError, UnspecifiedError } from '../domain/errors.js';

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

function secure(res: Response): void {
  res.setHeader('Content-Security-Policy', CONSOLE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

/** `guard` refuses what the control API refuses (a foreign Host: DNS rebinding). */
export function consolePage(enabled: boolean, guard: RequestHandler): Router {
  const r = Router();
  if (!enabled) {
    r.get('/', (_req, _res, next) => next(new NotFoundError('the web console is off (started with --no-ui); the control API is under /v1/')));
    return r;
  }
  const dir = consoleDir();
  const page = path.join(dir, 'index.html');
  r.get('/', guard, (_req, res, next) => {
    if (!fs.existsSync(page)) return next(new UnspecifiedError(`the web console is not built (no ${page}); run npm run build`));
    secure(res);
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(page);
  });
  r.use('/ui', guard, express.static(dir, { index: false, fallthrough: true, setHeaders: (res) => secure(res as Response) }));
  return r;
}
