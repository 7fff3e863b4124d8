// Which namespace a request is for: a path prefix (/ns/NAME/v1/...) or the X-XMPP-Emu-Namespace header; for the
// app's calls, else the namespace of the delivery whose ticket the call carries; else the default.
import type { IncomingMessage } from 'node:http';
import type { Engine } from '../core/engine.js';

export const NAMESPACE_HEADER = 'x-xmpp-emu-namespace';
const PREFIX = /^\/ns\/([^/?#]*)(.*)$/;

const chosen = new WeakMap<IncomingMessage, string>();

/** Split "/ns/NAME/rest" into NAME and "/rest"; null when the path has no prefix. */
export function splitNamespace(url: string): { namespace: string; rest: string } | null {
  const m = PREFIX.exec(url);
  if (!m) return null;
  let namespace: string;
  try {
    namespace = decodeURIComponent(m[1]!);
  } catch {
    namespace = m[1]!;
  }
  return { namespace, rest: m[2]!.startsWith('/') ? m[2]! : `/${m[2]!}` };
}

/** First of all: strip the prefix, so every later layer (the guard included) sees the plain path. */
export function stripNamespace(req: IncomingMessage): void {
  const split = splitNamespace(req.url ?? '');
  if (split) {
    chosen.set(req, split.namespace);
    req.url = split.rest;
  }
}

/** The namespace a request names, by prefix or header, or undefined. */
export function namespaceOf(req: IncomingMessage): string | undefined {
  const header = req.headers[NAMESPACE_HEADER];
  return chosen.get(req) ?? (Array.isArray(header) ? header[0] : header);
}

/** The engine a control request drives (checked and created on first use). */
export function engineFor(root: Engine, req: IncomingMessage): Engine {
  const name = namespaceOf(req);
  return name === undefined ? root : root.inNamespace(name);
}

/** The engine an app's call belongs to: as named, else the namespace of the delivery it answers. */
export function callerEngine(root: Engine, req: IncomingMessage, ticket: string | null | undefined): Engine {
  const name = namespaceOf(req);
  if (name !== undefined) return root.inNamespace(name);
  return root.space.forTicket(ticket) ?? root;
}
