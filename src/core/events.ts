// The one event stream every surface subscribes to. Records keep their wire names (snake_case).
import type { InboundKind } from '../domain/inbound.js';
import type { PresenceState } from '../domain/presence.js';

export type OutboxKind = 'message' | 'invite' | 'presence';

/** Something the app sent: a message (one entry per call), an invitation, or a presence. */
export interface OutboxEntry {
  id: number;
  time: string;
  kind: OutboxKind;
  from: string;
  to: string[];
  /** message: the body as given */
  body?: string;
  /** message: message_type; presence: presence_type */
  type?: string;
  raw_xml?: boolean;
  /** message: one status per recipient, as the call answered */
  statuses?: number[];
  show?: string;
  status?: string;
  /** the non-default version that sent it, or null */
  version: string | null;
}

/** What happened to one inbound injection. */
export interface DeliveryResult {
  kind: InboundKind;
  type: string;
  from: string;
  to: string;
  path: string;
  /** the full URL posted to, or null when nothing was posted */
  url: string | null;
  version: string | null;
  /** true when the app answered 2xx */
  delivered: boolean;
  /** the app's HTTP status, or null when it did not answer */
  status: number | null;
  reason?: string;
  duration_ms: number;
  body?: string;
  /** true when the app itself sent this to one of its own addresses */
  loopback?: boolean;
}

export type EventBody =
  | { type: 'sent'; entry: OutboxEntry }
  | { type: 'delivered'; result: DeliveryResult }
  | { type: 'presence'; jid: string; presence: PresenceState; subscribed: boolean; source: 'api' | 'inbound' | 'invite' }
  | { type: 'config'; source: 'app.yaml' | 'presence'; ok: boolean; message: string }
  | { type: 'outbox.cleared'; count: number };

export type EmulatorEvent = EventBody & { seq: number; time: string };

export type EventListener = (event: EmulatorEvent) => void;
