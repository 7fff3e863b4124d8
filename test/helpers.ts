// Shared test plumbing: a tiny real app (express + multer) that records what it receives, and JSON calls.
import fs from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { AddressInfo } from 'node:net';
import express from 'express';
import multer from 'multer';
import { startEmulator, type RunningEmulator, type StartOptions } from '../src/index.js';

export interface Received {
  path: string;
  fields: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  raw: Buffer;
}

export interface TestApp {
  url: string;
  received: Received[];
  /** resolves with the next request the app receives */
  next(): Promise<Received>;
  /** how the app answers: a status, or 'hang' to never answer */
  respond: number | 'hang';
  close(): Promise<void>;
}

/** An app on an ephemeral port that parses every /_ah/xmpp/ POST with multer and keeps the raw body too. */
export async function startTestApp(): Promise<TestApp> {
  const received: Received[] = [];
  const waiters: Array<(r: Received) => void> = [];
  const app = express();
  const state: TestApp = {
    url: '',
    received,
    respond: 200,
    next: () => new Promise((resolve) => waiters.push(resolve)),
    close: async () => undefined,
  };
  app.use((req, _res, next) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => ((req as unknown as { raw: Buffer }).raw = Buffer.concat(chunks)));
    next();
  });
  app.post(/^\/_ah\/xmpp\//, multer().none(), (req, res) => {
    const r: Received = {
      path: req.path,
      fields: { ...(req.body as Record<string, string>) },
      headers: req.headers,
      raw: (req as unknown as { raw: Buffer }).raw ?? Buffer.alloc(0),
    };
    received.push(r);
    waiters.splice(0).forEach((w) => w(r));
    if (state.respond === 'hang') return;
    res.status(state.respond).end();
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return state;
}

export async function postJson(base: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* keep the text */
  }
  return { status: res.status, body: parsed };
}

export async function getJson(base: string, path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, init);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** A port nothing listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** An emulator delivering to a fresh test app, both on ephemeral ports; `close` stops both. */
export async function startEmulatorWithApp(options: StartOptions = {}): Promise<{ app: TestApp; em: RunningEmulator; close(): Promise<void> }> {
  const app = await startTestApp();
  const em = await startEmulator({ port: 0, appUrl: app.url, appYaml: null, ...options });
  return { app, em, close: async () => (await em.close(), await app.close()) };
}

/** A stream to hand the console, and everything written to it so far. */
export function captureStream(): { stream: PassThrough; text(): string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString('utf8')));
  return { stream, text: () => text };
}

/** A path in a fresh temporary directory. */
export function tempPath(prefix: string, name: string): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), prefix)), name);
}
