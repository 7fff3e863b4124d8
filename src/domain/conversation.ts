// Conversation files: a scripted exchange (inject, then expect what the app sends), parsed and checked, no I/O.
import { readClockChange, type ClockChange } from './clock.js';
import { BadRequestError } from './errors.js';
import { parseFaultRule, type FaultRuleInput } from './faults.js';
import { parseJid } from './jid.js';
import { isJsonObject, parseJsonObject, rejectUnknownKeys, type JsonObject } from './json-file.js';
import { compilePattern, exactPattern, type Pattern } from './pattern.js';
import {
  INBOUND_PRESENCE_WORDS,
  inboundPresenceFromWord,
  isOneOf,
  OUTBOX_KINDS,
  SUBSCRIPTION_TYPES,
  type InboundPresenceType,
  type OutboxKind,
  type SubscriptionType,
} from './vocabulary.js';

export type Step =
  | { kind: 'send'; from: string; to?: string; body: string; type?: string; delivered?: boolean }
  | { kind: 'presence'; from: string; to?: string; type?: InboundPresenceType; show?: string; status?: string }
  | { kind: 'subscription'; from: string; to?: string; type: SubscriptionType }
  | { kind: 'error'; from: string; to?: string; stanza?: string }
  | { kind: 'set_presence'; jid: string; state: unknown }
  | ({ kind: 'expect' } & Expectation)
  | ({ kind: 'expect_none' } & Expectation)
  | { kind: 'expect_sequence'; steps: Expectation[]; timeoutMs: number }
  | { kind: 'fault'; rules: FaultRuleInput[] }
  | { kind: 'clock'; change: ClockChange };

/** What an expect waits for (and an expect_none waits not to see). */
export interface Expectation {
  outboxKind: OutboxKind;
  to: string;
  body?: string;
  contains?: string;
  matches?: Pattern;
  /** only what the app sent while handling the file's latest injection (its delivery id, known when it runs) */
  reply?: true;
  timeoutMs: number;
}

export interface Conversation {
  name: string;
  steps: Step[];
}

export const DEFAULT_EXPECT_TIMEOUT_MS = 2000;
const STEP_KINDS = ['send', 'presence', 'subscription', 'error', 'set_presence', 'expect', 'expect_none', 'expect_sequence', 'fault', 'clock'] as const;

/** An expectation: the exact body, or {body, contains, matches (+flags), to, kind, reply, timeout_ms}. `injected`:
 * whether an injection comes before it in the file (what `reply` refers to). */
function readExpectation(v: unknown, where: string, label: string, lastFrom: string | undefined, defTimeout: number, injected: boolean): Expectation {
  if (!isJsonObject(v) && typeof v !== 'string') throw new BadRequestError(`${where}: "${label}" must be the exact body or an object`);
  const o: JsonObject = typeof v === 'string' ? { body: v } : v;
  rejectUnknownKeys(o, ['body', 'contains', 'matches', 'flags', 'to', 'kind', 'reply', 'timeout_ms'], `${where} ${label}`);
  if (o.reply !== undefined && o.reply !== true) throw new BadRequestError(`${where}: ${label}.reply must be true (or left out)`);
  if (o.reply === true && !injected)
    throw new BadRequestError(
      `${where}: ${label}.reply waits for the reply to the latest send, presence, subscription or error step, and none comes before it`,
    );
  const outboxKind = str(o, 'kind', where) ?? 'message';
  if (!isOneOf(outboxKind, OUTBOX_KINDS)) throw new BadRequestError(`${where}: ${label}.kind must be message, invite or presence`);
  const pattern = str(o, 'matches', where);
  const matches = pattern === undefined ? undefined : compilePattern(pattern, str(o, 'flags', where) ?? '', `${where}: ${label}.matches`);
  const timeoutMs = o.timeout_ms ?? defTimeout;
  if (!Number.isInteger(timeoutMs) || (timeoutMs as number) <= 0) throw new BadRequestError(`${where}: ${label}.timeout_ms must be a positive whole number`);
  const body = str(o, 'body', where);
  const contains = str(o, 'contains', where);
  return {
    outboxKind,
    to: jid(o, 'to', where, lastFrom),
    timeoutMs: timeoutMs as number,
    ...(body !== undefined ? { body } : {}),
    ...(contains !== undefined ? { contains } : {}),
    ...(matches ? { matches } : {}),
    ...(o.reply === true ? { reply: true as const } : {}),
  };
}

function str(o: JsonObject, key: string, where: string, required = false): string | undefined {
  const v = o[key];
  if (v === undefined) {
    if (required) throw new BadRequestError(`${where}: "${key}" is missing`);
    return undefined;
  }
  if (typeof v !== 'string') throw new BadRequestError(`${where}: "${key}" must be a string`);
  return v;
}

function jid(o: JsonObject, key: string, where: string, fallback: string | undefined): string {
  const v = str(o, key, where) ?? fallback;
  if (v === undefined) throw new BadRequestError(`${where}: "${key}" is missing (and the file sets no default "from")`);
  const r = parseJid(v);
  if (!r.ok) throw new BadRequestError(`${where}: "${key}" ${JSON.stringify(v)} is not a valid JID: ${r.reason}`);
  return v;
}

export function parseConversation(text: string, file: string): Conversation {
  const data = parseJsonObject(text, file);
  rejectUnknownKeys(data, ['name', 'from', 'to', 'timeout_ms', 'steps', 'faults', 'comment'], file);
  const defFrom = data.from === undefined ? undefined : jid(data, 'from', file, undefined);
  const defTo = data.to === undefined ? undefined : jid(data, 'to', file, undefined);
  const defTimeout = data.timeout_ms ?? DEFAULT_EXPECT_TIMEOUT_MS;
  if (!Number.isInteger(defTimeout) || (defTimeout as number) <= 0) throw new BadRequestError(`${file}: "timeout_ms" must be a positive whole number`);
  if (!Array.isArray(data.steps) || data.steps.length === 0) throw new BadRequestError(`${file}: "steps" must be a non-empty list`);
  let lastFrom = defFrom;
  let injected = false;
  // The file's own faults apply from its first step (and are removed when it ends).
  const faults: Step[] = data.faults === undefined ? [] : [{ kind: 'fault', rules: readFaults(data.faults, `${file}: faults`) }];
  const steps = data.steps.map((raw, i): Step => {
    const where = `${file}: step ${i + 1}`;
    if (!isJsonObject(raw)) throw new BadRequestError(`${where}: must be an object such as {"send": "hello"}`);
    const kinds = STEP_KINDS.filter((k) => k in raw);
    if (kinds.length !== 1) throw new BadRequestError(`${where}: must have exactly one of ${STEP_KINDS.join(', ')}`);
    const kind = kinds[0]!;
    const v = raw[kind];
    const withTo = (o: JsonObject): { to?: string } => (o.to !== undefined || defTo ? { to: jid(o, 'to', where, defTo) } : {});
    if (kind === 'send' || kind === 'presence' || kind === 'subscription' || kind === 'error') injected = true;
    switch (kind) {
      case 'send': {
        rejectUnknownKeys(raw, ['send', 'from', 'to', 'type', 'delivered'], where);
        // "delivered": false expects the app not to take it (a fault dropped it, or the app failed).
        if (raw.delivered !== undefined && typeof raw.delivered !== 'boolean') throw new BadRequestError(`${where}: "delivered" must be true or false`);
        if (typeof v !== 'string' || v === '') throw new BadRequestError(`${where}: "send" must be the message body (a non-empty string)`);
        const from = jid(raw, 'from', where, defFrom);
        lastFrom = from;
        const type = str(raw, 'type', where);
        return { kind, from, ...withTo(raw), body: v, ...(type !== undefined ? { type } : {}), ...(raw.delivered === false ? { delivered: false } : {}) };
      }
      case 'presence': {
        rejectUnknownKeys(raw, ['presence', 'from', 'to', 'status'], where);
        const from = jid(raw, 'from', where, defFrom);
        const word = typeof v === 'string' ? inboundPresenceFromWord(v) : null;
        if (word === null) {
          throw new BadRequestError(`${where}: "presence" must be one of ${INBOUND_PRESENCE_WORDS.join(', ')}`);
        }
        const status = str(raw, 'status', where);
        return { kind, from, ...withTo(raw), ...word, ...(status !== undefined ? { status } : {}) };
      }
      case 'subscription': {
        rejectUnknownKeys(raw, ['subscription', 'from', 'to'], where);
        if (!isOneOf(v, SUBSCRIPTION_TYPES)) {
          throw new BadRequestError(`${where}: "subscription" must be subscribe, subscribed, unsubscribe or unsubscribed`);
        }
        return { kind, from: jid(raw, 'from', where, defFrom), ...withTo(raw), type: v };
      }
      case 'error': {
        rejectUnknownKeys(raw, ['error', 'from', 'to'], where);
        if (v !== true && typeof v !== 'string') throw new BadRequestError(`${where}: "error" must be true or the error stanza's XML`);
        return { kind, from: jid(raw, 'from', where, defFrom), ...withTo(raw), ...(typeof v === 'string' ? { stanza: v } : {}) };
      }
      case 'set_presence': {
        rejectUnknownKeys(raw, ['set_presence', 'jid'], where);
        return { kind, jid: jid(raw, 'jid', where, defFrom), state: v };
      }
      case 'expect':
      case 'expect_none': {
        rejectUnknownKeys(raw, [kind], where);
        return { kind, ...readExpectation(v, where, kind, lastFrom, defTimeout as number, injected) };
      }
      case 'expect_sequence': {
        rejectUnknownKeys(raw, ['expect_sequence', 'timeout_ms'], where);
        if (!Array.isArray(v) || v.length === 0) throw new BadRequestError(`${where}: "expect_sequence" must be a non-empty list of expectations`);
        const timeoutMs = raw.timeout_ms ?? defTimeout;
        if (!Number.isInteger(timeoutMs) || (timeoutMs as number) <= 0) throw new BadRequestError(`${where}: timeout_ms must be a positive whole number`);
        return {
          kind,
          timeoutMs: timeoutMs as number,
          steps: v.map((e, j) => readExpectation(e, where, `expect_sequence[${j}]`, lastFrom, timeoutMs as number, injected)),
        };
      }
      case 'fault': {
        rejectUnknownKeys(raw, ['fault'], where);
        return { kind, rules: readFaults(v, `${where} fault`) };
      }
      case 'clock': {
        rejectUnknownKeys(raw, ['clock'], where);
        return { kind, change: readClockChange(v, `${where} clock`) };
      }
    }
  });
  return { name: typeof data.name === 'string' ? data.name : file, steps: [...faults, ...steps] };
}

/** One rule or a list, each checked now so a bad file fails before it runs. */
function readFaults(v: unknown, where: string): FaultRuleInput[] {
  const rules = Array.isArray(v) ? v : [v];
  rules.forEach((r, i) => parseFaultRule(r, 'check', 0, rules.length > 1 ? `${where}[${i}]` : where));
  return rules as FaultRuleInput[];
}

export function describeStep(s: Step): string {
  switch (s.kind) {
    case 'send':
      return `send ${JSON.stringify(s.body)} from ${s.from}${s.to ? ` to ${s.to}` : ''}${s.delivered === false ? ' (not to be delivered)' : ''}`;
    case 'presence':
      return `presence ${s.type}${s.show ? ` (${s.show})` : ''} from ${s.from}`;
    case 'subscription':
      return `subscription ${s.type} from ${s.from}`;
    case 'error':
      return `error stanza from ${s.from}`;
    case 'set_presence':
      return `set presence of ${s.jid} to ${JSON.stringify(s.state)}`;
    case 'expect':
      return `expect ${describeExpectation(s)} (within ${s.timeoutMs} ms)`;
    case 'expect_none':
      return `expect no ${describeExpectation(s)} within ${s.timeoutMs} ms`;
    case 'expect_sequence':
      return `expect in order: ${s.steps.map(describeExpectation).join('; then ')} (within ${s.timeoutMs} ms)`;
    case 'fault':
      return `fault ${s.rules.map((r) => JSON.stringify(r)).join(', ')}`;
    case 'clock':
      return `clock ${JSON.stringify(s.change)}`;
  }
}

function describeExpectation(s: Expectation): string {
  const what =
    s.body !== undefined
      ? `body ${JSON.stringify(s.body)}`
      : s.contains !== undefined
        ? `body containing ${JSON.stringify(s.contains)}`
        : s.matches
          ? `body matching /${s.matches.source}/`
          : 'anything';
  return `${s.reply ? 'reply: ' : ''}${s.outboxKind} to ${s.to} with ${what}`;
}

/** The outbox filter an expect step waits for; `delivery`: the id of the file's latest injection, for `reply`. */
export function expectFilter(s: Expectation, delivery?: string): { kind: OutboxKind; to: string; contains?: string; matches?: Pattern; in_reply_to?: string } {
  return {
    kind: s.outboxKind,
    to: s.to,
    ...(s.reply && delivery !== undefined ? { in_reply_to: delivery } : {}),
    ...(s.contains !== undefined ? { contains: s.contains } : {}),
    ...(s.body !== undefined ? { matches: exactPattern(s.body) } : s.matches ? { matches: s.matches } : {}),
  };
}
