// The ids of deliveries: one fresh ticket per inbound POST, remembered (bounded) so that a call the app makes
// while handling it can be linked back to it. A ticket we did not issue links to nothing.
import { randomBytes } from 'node:crypto';

export class TicketBook {
  private readonly issued = new Set<string>();
  // A per-process prefix makes tickets from an earlier run (a bot still answering after a restart) unknown.
  private readonly prefix = randomBytes(4).toString('hex');
  private next = 1;

  constructor(private readonly cap = 10_000) {}

  issue(): string {
    const ticket = `${this.prefix}-${this.next++}`;
    this.issued.add(ticket);
    // A Set iterates in insertion order, so its first value is the oldest.
    if (this.issued.size > this.cap) this.issued.delete(this.issued.values().next().value!);
    return ticket;
  }

  /** The delivery id a ticket names, or null when it is missing or not ours. */
  deliveryOf(ticket: string | null | undefined): string | null {
    return ticket && this.issued.has(ticket) ? ticket : null;
  }
}
