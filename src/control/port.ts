// The ControlPort contract: what the REPL, the conversation runner and tests drive, in-process (the engine) or over
// HTTP (RemoteControl), with the same methods and the same answers.
import type { DeliveryResult, EventListener, OutboxEntry } from '../core/events.js';
import type { OutboxFilter } from '../core/outbox.js';
import type { ClockChange, ClockState } from '../domain/clock.js';
import type { FaultRule, FaultRuleInput } from '../domain/faults.js';
import type { PresenceListing } from '../domain/presence.js';
import type { InboundPresenceType, PresenceState, Show, SubscriptionType } from '../domain/vocabulary.js';

export interface InboundMessage {
  from: string;
  to?: string;
  body: string;
  type?: string;
}
export interface InboundPresence {
  from: string;
  to?: string;
  type?: InboundPresenceType;
  show?: Show | string;
  status?: string;
}
export interface InboundSubscription {
  from: string;
  to?: string;
  type: SubscriptionType;
}
export interface InboundError {
  from: string;
  to?: string;
  stanza?: string;
}

/** How long waitFor waits when no timeoutMs is given, in-process and over HTTP alike. */
export const DEFAULT_WAIT_MS = 5000;

export interface WaitOptions extends OutboxFilter {
  /** default DEFAULT_WAIT_MS (5000) */
  timeoutMs?: number;
}

export interface SequenceOptions {
  /** what must arrive, in this order; other entries may come between */
  steps: OutboxFilter[];
  /** only entries to this JID (a bare JID matches every resource): one conversation */
  conversation?: string;
  /** only entries with an id greater than this */
  since?: number;
  /** for the whole sequence; default DEFAULT_WAIT_MS (5000) */
  timeoutMs?: number;
}

/** A presence word (available, away, ...) or the state itself; `subscribed` also marks the JID (un)subscribed. */
export type PresenceInput = string | { available?: boolean; show?: string; status?: string; subscribed?: boolean };

export interface ControlPort {
  injectMessage(m: InboundMessage): Promise<DeliveryResult>;
  injectPresence(p: InboundPresence): Promise<DeliveryResult>;
  injectSubscription(s: InboundSubscription): Promise<DeliveryResult>;
  injectError(e: InboundError): Promise<DeliveryResult>;
  outbox(filter?: OutboxFilter): Promise<OutboxEntry[]>;
  /** the first matching entry, already captured or yet to come; rejects with a TimeoutError */
  waitFor(options: WaitOptions): Promise<OutboxEntry>;
  clearOutbox(): Promise<number>;
  setPresence(jid: string, state: PresenceInput): Promise<PresenceState & { subscribed: boolean }>;
  listPresence(): Promise<PresenceListing>;
  /** the id of the newest outbox entry (0 when none): pass it as `since` to wait only for what comes next */
  lastOutboxId(): Promise<number>;
  onEvent(listener: EventListener): () => void;

  // The bad days: server-side assertions, faults, the clock, a fresh start.
  /** the negative wait: resolves when nothing matching arrives within timeoutMs, else rejects (ASSERTION_FAILED);
   * without `since`, only entries after the call count (entries already in the outbox do not) */
  expectNone(options: WaitOptions): Promise<void>;
  /** the entries matching each step, in order; rejects with a TimeoutError naming the step that did not come */
  expectSequence(options: SequenceOptions): Promise<OutboxEntry[]>;
  /** add one fault rule or several; they apply to this namespace only */
  addFault(rule: FaultRuleInput | FaultRuleInput[]): Promise<FaultRule[]>;
  listFaults(): Promise<FaultRule[]>;
  removeFault(id: string): Promise<void>;
  clearFaults(): Promise<number>;
  /** read the namespace's clock, or change it: {freeze: true}, {resume: true}, {advance_ms}, {set: ISO time} */
  setClock(change?: ClockChange): Promise<ClockState>;
  /** a fresh start for this namespace: outbox, presence, quotas, faults (as configured at start) and clock */
  reset(): Promise<void>;
}
