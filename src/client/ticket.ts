// The delivery being handled: the router keeps its ticket while the app's handler runs, and every service call made
// meanwhile sends it back in X-AppEngine-API-Ticket, as App Engine's SDKs did. The emulator links the call to that
// delivery (in_reply_to) and to its namespace, so replies land where the message came from.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Request } from 'express';

const current = new AsyncLocalStorage<string>();

export function withTicket<T>(req: Request, fn: () => T): T {
  const ticket = req.get('x-appengine-api-ticket');
  return ticket ? current.run(ticket, fn) : fn();
}

/** The headers a service call adds: the ticket of the delivery being handled, if any. */
export function ticketHeaders(): Record<string, string> {
  const ticket = current.getStore();
  return ticket ? { 'X-AppEngine-API-Ticket': ticket } : {};
}
