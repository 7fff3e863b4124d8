// The ControlPort contract: what the REPL, the conversation runner and tests drive, in-process (the engine) or over
// HTTP (RemoteControl), with the same methods and the same answers.
import type { DeliveryResult, EventListener, OutboxEntry } from '../core/events.js';
import type { OutboxFilter } from '../core/outbox.js';
import type { PresenceListing } from '../domain/presence.js';
import type { InboundPresenceType, PresenceState, Show, SubscriptionType } from '../domain/vocabulary.js';

export interface InboundMessage { from: string; to?: string; body: string; type?: string }
export interface InboundPresence { from: string; to?: string; type?: InboundPresenceType; show?: Show | string; status?: string }
export interface InboundSubscription { from: string; to?: string; type: SubscriptionType }
export interface InboundError { from: string; to?: string; stanza?: string }

/** How long waitFor waits when no timeoutMs is given, in-process and over HTTP alike. */
export const DEFAULT_WAIT_MS = 5000;

export interface WaitOptions extends OutboxFilter {
  /** default DEFAULT_WAIT_MS (5000) */
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
}
