// The emulator's clock, which a test controls: frozen, advanced or set. Timestamps and the quota day follow it.
import { BadRequestError } from './errors.js';

export interface ClockState {
  /** the emulator's time now, ISO 8601 */
  now: string;
  frozen: boolean;
  /** how far the emulator's time is from the machine's, in ms */
  offset_ms: number;
}

/** What a control call may do to the clock: any one of these. */
export type ClockChange = { freeze: true } | { resume: true } | { advance_ms: number } | { set: string };

export class Clock {
  private offset = 0;
  private frozenAt: number | null = null;
  private lastIso: [number, string] = [Number.NaN, ''];

  /** `source`: the machine's time in ms (injected so the domain stays free of I/O and tests stay exact) */
  constructor(private readonly source: () => number = Date.now) {}

  now(): number {
    return this.frozenAt ?? this.source() + this.offset;
  }

  date(): Date {
    return new Date(this.now());
  }

  iso(): string {
    // Many calls land in the same millisecond under load: format each millisecond once.
    const now = this.now();
    if (now !== this.lastIso[0]) this.lastIso = [now, new Date(now).toISOString()];
    return this.lastIso[1];
  }

  /** Stop time where it is: it moves only when advanced or set. */
  freeze(): void {
    this.frozenAt ??= this.now();
  }

  /** Let time run again from where it stands. */
  resume(): void {
    if (this.frozenAt === null) return;
    this.offset = this.frozenAt - this.source();
    this.frozenAt = null;
  }

  advance(ms: number): void {
    if (this.frozenAt !== null) this.frozenAt += ms;
    else this.offset += ms;
  }

  set(ms: number): void {
    if (this.frozenAt !== null) this.frozenAt = ms;
    else this.offset = ms - this.source();
  }

  /** Back to the machine's time, running. */
  reset(): void {
    this.offset = 0;
    this.frozenAt = null;
  }

  state(): ClockState {
    const now = this.now();
    return { now: new Date(now).toISOString(), frozen: this.frozenAt !== null, offset_ms: now - this.source() };
  }

  /** Apply a checked change (see readClockChange). */
  apply(change: ClockChange): ClockState {
    if ('freeze' in change) this.freeze();
    else if ('resume' in change) this.resume();
    else if ('advance_ms' in change) this.advance(change.advance_ms);
    else this.set(Date.parse(change.set));
    return this.state();
  }
}

/** Read {"freeze":true} | {"resume":true} | {"advance_ms":N} | {"set":"ISO time"} from the wire. */
export function readClockChange(input: unknown, where = 'clock'): ClockChange {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new BadRequestError(`${where} must be an object: {"freeze":true}, {"resume":true}, {"advance_ms":N} or {"set":"2026-01-01T08:00:00Z"}`);
  }
  const keys = Object.keys(input);
  if (keys.length !== 1 || !['freeze', 'resume', 'advance_ms', 'set'].includes(keys[0]!)) {
    throw new BadRequestError(`${where} must have exactly one of freeze, resume, advance_ms, set (got ${keys.join(', ') || 'none'})`);
  }
  const o = input as Record<string, unknown>;
  if ('freeze' in o) {
    if (o.freeze !== true) throw new BadRequestError(`${where}.freeze must be true`);
    return { freeze: true };
  }
  if ('resume' in o) {
    if (o.resume !== true) throw new BadRequestError(`${where}.resume must be true`);
    return { resume: true };
  }
  if ('advance_ms' in o) {
    const ms = o.advance_ms;
    if (!Number.isInteger(ms) || (ms as number) < 0 || (ms as number) > 100 * 365 * 86_400_000) {
      throw new BadRequestError(`${where}.advance_ms must be a whole number of milliseconds from 0 to 100 years`);
    }
    return { advance_ms: ms as number };
  }
  const at = o.set;
  if (typeof at !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(at) || Number.isNaN(Date.parse(at))) {
    throw new BadRequestError(`${where}.set must be an ISO 8601 time such as "2026-03-08T07:59:00Z"`);
  }
  return { set: at };
}

export function describeClock(s: ClockState): string {
  return `${s.now}${s.frozen ? ' (frozen)' : ''}`;
}
