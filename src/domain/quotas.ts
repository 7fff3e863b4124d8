// Quota-style counters: what the real service metered, and optional daily limits that fail calls with OVER_QUOTA.
import { OverQuotaError } from './errors.js';

export interface QuotaLimits {
  /** per day; Infinity means unlimited */
  apiCalls: number;
  recipientsMessaged: number;
  invitationsSent: number;
  dataSentBytes: number;
}

export const DEFAULT_QUOTAS: QuotaLimits = Object.freeze({
  apiCalls: Infinity,
  recipientsMessaged: Infinity,
  invitationsSent: 100_000,
  dataSentBytes: Infinity,
});

/** CPU time the service charged per incoming message. */
export const INCOMING_CPU_MS = 50;

export interface Counters {
  api_calls: number;
  data_sent_bytes: number;
  recipients_messaged: number;
  invitations_sent: number;
  outgoing_bandwidth_bytes: number;
  incoming_requests: number;
  incoming_bandwidth_bytes: number;
  incoming_cpu_ms: number;
}

function zero(): Counters {
  return {
    api_calls: 0,
    data_sent_bytes: 0,
    recipients_messaged: 0,
    invitations_sent: 0,
    outgoing_bandwidth_bytes: 0,
    incoming_requests: 0,
    incoming_bandwidth_bytes: 0,
    incoming_cpu_ms: 0,
  };
}

export class QuotaMeter {
  readonly total = zero();
  private today = zero();
  private day: number;

  constructor(
    readonly limits: QuotaLimits,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.day = this.dayKey();
  }

  /** Days since the epoch, UTC: cheap enough to check on every call. */
  private dayKey(): number {
    return Math.floor(this.clock().getTime() / 86_400_000);
  }

  private roll(): void {
    const d = this.dayKey();
    if (d !== this.day) {
      this.day = d;
      this.today = zero();
    }
  }

  private add(field: keyof Counters, n: number): void {
    this.total[field] += n;
    this.today[field] += n;
  }

  private ensure(field: keyof Counters, limit: number, more: number, what: string): void {
    if (this.today[field] + more > limit) {
      throw new OverQuotaError(`over quota: ${what} (${this.today[field]} used of ${limit} today)`);
    }
  }

  /** Every service call counts toward XMPP API Calls. */
  chargeCall(): void {
    this.roll();
    this.ensure('api_calls', this.limits.apiCalls, 1, 'XMPP API Calls');
    this.add('api_calls', 1);
  }

  /** A message is metered once per recipient. */
  chargeMessage(recipients: number, bytes: number): void {
    this.ensure('recipients_messaged', this.limits.recipientsMessaged, recipients, 'XMPP Recipients Messaged');
    this.ensure('data_sent_bytes', this.limits.dataSentBytes, recipients * bytes, 'XMPP Data Sent');
    this.add('recipients_messaged', recipients);
    this.add('data_sent_bytes', recipients * bytes);
    this.add('outgoing_bandwidth_bytes', recipients * bytes);
  }

  chargeInvite(bytes: number): void {
    this.ensure('invitations_sent', this.limits.invitationsSent, 1, 'XMPP Invitations Sent');
    this.ensure('data_sent_bytes', this.limits.dataSentBytes, bytes, 'XMPP Data Sent');
    this.add('invitations_sent', 1);
    this.add('data_sent_bytes', bytes);
    this.add('outgoing_bandwidth_bytes', bytes);
  }

  chargeIncoming(bytes: number): void {
    this.roll();
    this.add('incoming_requests', 1);
    this.add('incoming_bandwidth_bytes', bytes);
    this.add('incoming_cpu_ms', INCOMING_CPU_MS);
  }

  snapshot(): { total: Counters; today: Counters & { day: string }; limits: Record<keyof QuotaLimits, number | null> } {
    this.roll();
    const limits = Object.fromEntries(
      Object.entries(this.limits).map(([k, v]) => [k, Number.isFinite(v) ? v : null]),
    ) as Record<keyof QuotaLimits, number | null>;
    return { total: { ...this.total }, today: { ...this.today, day: new Date(this.day * 86_400_000).toISOString().slice(0, 10) }, limits };
  }
}
