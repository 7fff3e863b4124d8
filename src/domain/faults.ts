// Fault rules: which calls fail and how (a status, an error code, a latency, a delivery fault), for how long.
// Pure: the caller passes the time and a seeded random source, so a run with the same seed fires the same faults.
import { BadRequestError, SERVICE_ERROR_CODES, type ErrorCode } from './errors.js';
import { compilePattern, wildcardPattern, type Pattern } from './pattern.js';
import type { Random } from './random.js';

// A rule's body pattern, compiled once per rule (linear-time, as every user's pattern).
const compiled = new WeakMap<FaultRule, Pattern>();
function bodyPattern(rule: FaultRule): Pattern {
  let p = compiled.get(rule);
  if (!p) compiled.set(rule, (p = compilePattern(rule.body!, '', 'body')));
  return p;
}

const FAULT_CALLS = ['send_message', 'send_invite', 'get_presence', 'send_presence', 'delivery'] as const;
export type FaultCall = (typeof FAULT_CALLS)[number];

/** What happens to an inbound POST: not sent, sent late, sent twice, sent after the next one, or given up on. */
const DELIVERY_FAULTS = ['drop', 'delay', 'duplicate', 'reorder', 'timeout'] as const;
export type DeliveryFault = (typeof DELIVERY_FAULTS)[number];

/** Per-JID statuses a send_message answer can carry. */
export const FAULT_STATUSES = { INVALID_JID: 1, OTHER_ERROR: 2 } as const;
export type FaultStatus = keyof typeof FAULT_STATUSES;

/** A rule as the wire and config files give it (snake_case). */
export interface FaultRuleInput {
  /** one call or a list; default: every service call (not delivery) */
  call?: FaultCall | FaultCall[];
  /** a JID pattern, `*` for any run of characters; a bare pattern matches every resource */
  jid?: string;
  /** a regular expression the message body must match */
  body?: string;
  status?: FaultStatus;
  error?: ErrorCode;
  latency_ms?: number;
  delivery?: DeliveryFault;
  /** delay: how long; reorder: how long to wait for a next delivery before sending anyway */
  delay_ms?: number;
  /** fire on the next N matches only */
  times?: number;
  /** fire on each match with this probability, drawn from the seeded source */
  probability?: number;
  /** a window on the emulator's clock: from, until (ISO times) or for_ms from when the rule is added */
  from?: string;
  until?: string;
  for_ms?: number;
  /** words for the console and the fault event */
  name?: string;
}

/** A checked rule: its id, its calls as a list, a window in absolute times, and how often it has fired. */
export interface FaultRule extends Omit<FaultRuleInput, 'call' | 'for_ms'> {
  id: string;
  call: FaultCall[];
  fired: number;
}

/** One call, as the fault book sees it. */
export interface FaultTarget {
  call: FaultCall;
  /** the recipients (service calls) or the user who sent it (a delivery) */
  jids: string[];
  body?: string;
}

export interface FiredFault {
  rule: FaultRule;
  /** the JIDs of the call the rule matched */
  jids: string[];
}

const SERVICE_CALLS: FaultCall[] = ['send_message', 'send_invite', 'get_presence', 'send_presence'];
const KEYS = ['call', 'jid', 'body', 'status', 'error', 'latency_ms', 'delivery', 'delay_ms', 'times', 'probability', 'from', 'until', 'for_ms', 'name'];
const MAX_MS = 10 * 60_000;

function fail(where: string, message: string): never {
  throw new BadRequestError(`${where}: ${message}`);
}

function wholeMs(o: Record<string, unknown>, key: string, where: string, max = MAX_MS): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > max) fail(where, `"${key}" must be a whole number of ms from 0 to ${max}`);
  return v as number;
}

function isoTime(o: Record<string, unknown>, key: string, where: string): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(v) || Number.isNaN(Date.parse(v)))
    fail(where, `"${key}" must be an ISO 8601 time such as "2026-01-01T09:00:00Z"`);
  return new Date(v).toISOString();
}

function oneOf<T extends string>(o: Record<string, unknown>, key: string, allowed: readonly T[], where: string): T | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !allowed.includes(v as T)) fail(where, `"${key}" must be one of ${allowed.join(', ')}`);
  return v as T;
}

/** Check a rule from the wire and give it its id; `now` (the emulator's clock) anchors for_ms. */
export function parseFaultRule(input: unknown, id: string, now: number, where = 'fault'): FaultRule {
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    fail(where, 'must be an object such as {"call":"send_message","status":"OTHER_ERROR","times":1}');
  const o = input as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KEYS.includes(k)) fail(where, `unknown key "${k}" (expected ${KEYS.join(', ')})`);
  const calls = o.call === undefined ? undefined : Array.isArray(o.call) ? o.call : [o.call];
  if (calls !== undefined && (calls.length === 0 || calls.some((c) => !FAULT_CALLS.includes(c as FaultCall)))) {
    fail(where, `"call" must be one of ${FAULT_CALLS.join(', ')}, or a non-empty list of them`);
  }
  const status = oneOf(o, 'status', Object.keys(FAULT_STATUSES) as FaultStatus[], where);
  const error = oneOf(o, 'error', SERVICE_ERROR_CODES, where);
  const delivery = oneOf(o, 'delivery', DELIVERY_FAULTS, where);
  const latency = wholeMs(o, 'latency_ms', where);
  const delay = wholeMs(o, 'delay_ms', where);
  const effects = [status, error, delivery, latency].filter((e) => e !== undefined).length;
  if (effects === 0) fail(where, 'needs an effect: "status", "error", "latency_ms" or "delivery"');
  if ([status, error, delivery].filter((e) => e !== undefined).length > 1)
    fail(where, '"status", "error" and "delivery" exclude each other (one rule, one effect; add "latency_ms" to any)');
  const call = (calls as FaultCall[] | undefined) ?? (delivery ? ['delivery'] : status ? ['send_message'] : SERVICE_CALLS);
  if (status && call.some((c) => c !== 'send_message')) fail(where, '"status" applies to send_message only (its per-JID statuses)');
  if (error && call.includes('delivery')) fail(where, '"error" applies to the service calls; for a delivery use "delivery"');
  if (delivery && call.some((c) => c !== 'delivery')) fail(where, '"delivery" applies to call "delivery" only');
  if (delay !== undefined && delivery !== 'delay' && delivery !== 'reorder') fail(where, '"delay_ms" goes with "delivery": "delay" or "reorder"');
  if (delivery === 'delay' && delay === undefined) fail(where, '"delivery": "delay" needs "delay_ms"');
  const jid = o.jid;
  if (jid !== undefined && (typeof jid !== 'string' || jid === '' || jid.length > 3071))
    fail(where, '"jid" must be a JID or a pattern with *, such as "*@example.com"');
  const body = o.body;
  if (body !== undefined) {
    if (typeof body !== 'string') fail(where, '"body" must be a regular expression (a string)');
    compilePattern(body, '', `${where}: "body"`);
  }
  const times = o.times;
  if (times !== undefined && (!Number.isInteger(times) || (times as number) < 1)) fail(where, '"times" must be a whole number of 1 or more');
  const probability = o.probability;
  if (probability !== undefined && (typeof probability !== 'number' || !(probability >= 0 && probability <= 1)))
    fail(where, '"probability" must be a number from 0 to 1');
  const forMs = wholeMs(o, 'for_ms', where, 100 * 365 * 86_400_000);
  let from = isoTime(o, 'from', where);
  let until = isoTime(o, 'until', where);
  if (forMs !== undefined) {
    if (until !== undefined) fail(where, 'give "until" or "for_ms", not both');
    const start = from === undefined ? now : Date.parse(from);
    from ??= new Date(now).toISOString();
    until = new Date(start + forMs).toISOString();
  }
  if (from !== undefined && until !== undefined && Date.parse(until) <= Date.parse(from)) fail(where, '"until" must come after "from"');
  const name = o.name;
  if (name !== undefined && (typeof name !== 'string' || name.length > 200)) fail(where, '"name" must be a short string');
  const rule: FaultRule = { id, call, fired: 0 };
  const optional = { name, jid, body, status, error, latency_ms: latency, delivery, delay_ms: delay, times, probability, from, until };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) (rule as unknown as Record<string, unknown>)[k] = v;
  return rule;
}

/** `*` matches any run of characters; case-insensitive; a pattern without `/` ignores the resource. */
export function jidPatternMatches(pattern: string, jid: string): boolean {
  const target = pattern.includes('/') ? jid : jid.split('/')[0]!;
  return wildcardPattern(pattern).test(target);
}

function inWindow(rule: FaultRule, now: number): boolean {
  if (rule.from !== undefined && now < Date.parse(rule.from)) return false;
  if (rule.until !== undefined && now >= Date.parse(rule.until)) return false;
  return true;
}

/** Whether the rule could still fire (not spent by "times", not past its window). */
function isActive(rule: FaultRule, now: number): boolean {
  return (rule.times === undefined || rule.fired < rule.times) && (rule.until === undefined || now < Date.parse(rule.until));
}

/** The rules of one namespace, in the order added. */
export class FaultBook {
  private rules: FaultRule[] = [];
  private nextId = 1;

  constructor(private readonly random: Random) {}

  add(input: unknown, now: number, where?: string): FaultRule {
    const rule = parseFaultRule(input, `f${this.nextId}`, now, where);
    this.nextId++;
    this.rules.push(rule);
    return rule;
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length !== before;
  }

  clear(): number {
    const n = this.rules.length;
    this.rules = [];
    return n;
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r, call: [...r.call] }));
  }

  get size(): number {
    return this.rules.length;
  }

  /**
   * The rules that fire for this call, in the order added, counting each. A probabilistic rule draws from the
   * seeded source only when everything else matches, so the same calls with the same seed fire the same faults.
   */
  fire(target: FaultTarget, now: number): FiredFault[] {
    const fired: FiredFault[] = [];
    for (const rule of this.rules) {
      if (!rule.call.includes(target.call) || !isActive(rule, now) || !inWindow(rule, now)) continue;
      const jids = rule.jid === undefined ? target.jids : target.jids.filter((j) => jidPatternMatches(rule.jid!, j));
      if (jids.length === 0) continue;
      if (rule.body !== undefined && !bodyPattern(rule).test(target.body ?? '')) continue;
      if (rule.probability !== undefined && !(this.random() < rule.probability)) continue;
      // One delivery fault per delivery: the first that fires decides what happens to the POST.
      if (rule.delivery && fired.some((f) => f.rule.delivery)) continue;
      rule.fired++;
      fired.push({ rule, jids });
    }
    return fired;
  }
}

/** A line for the console and the event: what the rule did. */
export function describeEffect(rule: FaultRule): string {
  const parts: string[] = [];
  if (rule.status) parts.push(`status ${rule.status}`);
  if (rule.error) parts.push(`error ${rule.error}`);
  if (rule.delivery) parts.push(rule.delivery === 'delay' ? `delivery delayed ${rule.delay_ms} ms` : `delivery ${rule.delivery}`);
  if (rule.latency_ms !== undefined) parts.push(`latency ${rule.latency_ms} ms`);
  return parts.join(', ');
}

/**
 * A rule whole in one line, for listings: what it matches, what it does, when and how often it may fire, how often it
 * did. "f13: send_message for q@example.com → status INVALID_JID; at most 2 times, fired 0".
 */
export function describeRule(rule: FaultRule): string {
  const match = `${rule.call.join(',')}${rule.jid !== undefined ? ` for ${rule.jid}` : ''}${rule.body !== undefined ? ` with body /${rule.body}/` : ''}`;
  const scope: string[] = [];
  if (rule.times !== undefined) scope.push(`at most ${rule.times} ${rule.times === 1 ? 'time' : 'times'}`);
  if (rule.probability !== undefined) scope.push(`probability ${rule.probability}`);
  if (rule.from !== undefined) scope.push(`from ${rule.from}`);
  if (rule.until !== undefined) scope.push(`until ${rule.until}`);
  return `${rule.id}${rule.name ? ` (${rule.name})` : ''}: ${match} → ${describeEffect(rule)}; ${scope.length ? scope.join(', ') : 'every match'}, fired ${rule.fired}`;
}

/** A fired fault in a line: "f2 (flaky network): send_message → status OTHER_ERROR". */
export function describeFault(f: { rule: string; name?: string; call: string; effect: string }): string {
  return `${f.rule}${f.name ? ` (${f.name})` : ''}: ${f.call} → ${f.effect}`;
}
