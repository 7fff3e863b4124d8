// Quota-style counters: what the real service metered, and optional daily limits that fail calls with OVER_QUOTA.
// The day is App Engine's: daily quotas reset at midnight Pacific time.
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
/** The counter each configurable limit caps (options are camelCase like every option; the wire is snake_case). */
export const LIMITED_COUNTERS = Object.freeze({
  apiCalls: 'api_calls',
  recipientsMessaged: 'recipients_messaged',
  invitationsSent: 'invitations_sent',
  dataSentBytes: 'data_sent_bytes',
} as const satisfies Record<keyof QuotaLimits, keyof Counters>);
export type LimitedCounter = (typeof LIMITED_COUNTERS)[keyof QuotaLimits];

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

const PACIFIC = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/Los_Angeles',
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** The Pacific wall-clock fields at an instant. */
function pacificFields(ms: number): { y: number; m: number; d: number; wallMs: number } {
  const p: Record<string, number> = {};
  for (const part of PACIFIC.formatToParts(ms)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const wallMs = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) + (((ms % 1000) + 1000) % 1000);
  return { y: p.year!, m: p.month!, d: p.day!, wallMs };
}

/** The instant the Pacific date (y, m, d) began: its midnight, whatever the daylight-saving offset that day. */
function pacificMidnight(y: number, m: number, d: number): number {
  const wall = Date.UTC(y, m - 1, d);
  // Guess with the offset at the guess, then correct once: the offset can change only at 02:00.
  let t = wall + 8 * 3_600_000;
  t = wall - (pacificFields(t).wallMs - t);
  return t;
}

export interface QuotaDay {
  /** the Pacific date, YYYY-MM-DD */
  day: string;
  /** when it began and when it ends (the next reset), ms since the epoch */
  start: number;
  end: number;
}

/** The quota day holding an instant: the Pacific calendar day, midnight to midnight. */
export function quotaDay(ms: number): QuotaDay {
  const { y, m, d } = pacificFields(ms);
  const next = new Date(Date.UTC(y, m - 1, d + 1));
  return {
    day: `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`,
    start: pacificMidnight(y, m, d),
    end: pacificMidnight(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate()),
  };
}

export class QuotaMeter {
  readonly total = zero();
  private today = zero();
  private day: QuotaDay;

  constructor(
    readonly limits: QuotaLimits,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.day = quotaDay(this.clock().getTime());
  }

  /** A comparison per call; the time-zone arithmetic runs only when the day changes. */
  private roll(): void {
    const now = this.clock().getTime();
    if (now >= this.day.start && now < this.day.end) return;
    this.day = quotaDay(now);
    this.today = zero();
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

  /** A call refused after it was charged, because it could not be recorded (--record): it never happened. */
  refundCall(): void {
    this.add('api_calls', -1);
  }

  /** OVER_QUOTA when a message would pass a limit; charges nothing (a call checks before its transcript line is written). */
  checkMessage(recipients: number, bytes: number): void {
    this.ensure('recipients_messaged', this.limits.recipientsMessaged, recipients, 'XMPP Recipients Messaged');
    this.ensure('data_sent_bytes', this.limits.dataSentBytes, recipients * bytes, 'XMPP Data Sent');
  }

  /** A message is metered once per recipient. */
  chargeMessage(recipients: number, bytes: number): void {
    this.checkMessage(recipients, bytes);
    this.add('recipients_messaged', recipients);
    this.add('data_sent_bytes', recipients * bytes);
    this.add('outgoing_bandwidth_bytes', recipients * bytes);
  }

  checkInvite(bytes: number): void {
    this.ensure('invitations_sent', this.limits.invitationsSent, 1, 'XMPP Invitations Sent');
    this.ensure('data_sent_bytes', this.limits.dataSentBytes, bytes, 'XMPP Data Sent');
  }

  chargeInvite(bytes: number): void {
    this.checkInvite(bytes);
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

  /** The wire shape of GET /v1/stats: every key snake_case, each limit named like the counter it caps. */
  snapshot(): { total: Counters; today: Counters & { day: string; resets_at: string }; limits: Record<LimitedCounter, number | null> } {
    this.roll();
    const limits = Object.fromEntries(
      (Object.entries(LIMITED_COUNTERS) as Array<[keyof QuotaLimits, LimitedCounter]>).map(([option, counter]) => {
        const v = this.limits[option];
        return [counter, Number.isFinite(v) ? v : null];
      }),
    ) as Record<LimitedCounter, number | null>;
    return { total: { ...this.total }, today: { ...this.today, day: this.day.day, resets_at: new Date(this.day.end).toISOString() }, limits };
  }
}
