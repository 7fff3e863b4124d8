// The ids of deliveries: one fresh ticket per inbound POST, remembered (bounded) with the namespace it was issued
// in, so that a call the app makes while handling it can be linked back to it, in that namespace. A ticket we did
// not issue links to nothing.

export class TicketBook {
  /** ticket → namespace */
  private readonly issued = new Map<string, string>();
  private next = 1;

  /** `prefix`: per run (from --seed, or random), so tickets from an earlier run (a bot still answering after a
   * restart) are unknown */
  constructor(
    private readonly prefix: string,
    private readonly cap = 10_000,
  ) {}

  issue(namespace: string): string {
    const n = this.next++;
    const ticket = `${this.prefix}-${n}`;
    this.issued.set(ticket, namespace);
    // Tickets are numbered in order, so the one that falls out is known by its number. (Taking the Map's first key
    // instead walked the holes V8 leaves at its start until it rehashes: ~6 µs per delivery past the cap.)
    if (n > this.cap) this.issued.delete(`${this.prefix}-${n - this.cap}`);
    return ticket;
  }

  /** The delivery id a ticket names, or null when it is missing or not ours. */
  deliveryOf(ticket: string | null | undefined): string | null {
    return ticket && this.issued.has(ticket) ? ticket : null;
  }

  /** The namespace a ticket was issued in, or undefined when it is missing or not ours. */
  namespaceOf(ticket: string | null | undefined): string | undefined {
    return ticket ? this.issued.get(ticket) : undefined;
  }
}
