// The one event stream every surface subscribes to. Records keep their wire names (snake_case).
import type { ClockState } from '../domain/clock.js';
import type { FaultCall } from '../domain/faults.js';
import type { Delivery } from '../domain/inbound.js';
import type { ConnectedClient } from '../domain/presence.js';
import type { RecordedInbound } from '../domain/replay.js';
import type { OutboxKind, PresenceState } from '../domain/vocabulary.js';
import type { EngineAnswer, EngineCall } from '../domain/xmpp-rpc.js';

/** How a call reached the emulator: the JSON service API, App Engine's API-server protocol (Go/Python 3 on
 * /rpc_http, the Python 2 remote_api stub on /), or a connected XMPP client. */
export type Protocol = 'json' | 'rpc_http' | 'remote_api' | 'xmpp';

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
  /** how the app made the call */
  protocol: Protocol;
  /** the id of the delivery whose handler made this call (from the ticket the SDK sends back), or null */
  in_reply_to: string | null;
}

/** What happened to one inbound injection: the planned delivery's kind, type, addresses, path and version, and then: */
export interface DeliveryResult extends Pick<Delivery, 'kind' | 'type' | 'from' | 'to' | 'path' | 'version' | 'body'> {
  /** the fresh ticket sent in X-AppEngine-API-Ticket and X-Appengine-Dev-Request-Id; calls the app makes while
   * handling this delivery carry it back, and their outbox entries name it as in_reply_to */
  id: string;
  /** the full URL posted to, or null when nothing was posted */
  url: string | null;
  /** true when the app answered 2xx */
  delivered: boolean;
  /** the app's HTTP status, or null when it did not answer */
  status: number | null;
  reason?: string;
  duration_ms: number;
  /** true when the app itself sent this to one of its own addresses */
  loopback?: boolean;
  /** a loop-back's place in its reply chain: 1 for the app's first message to itself, 2 for one sent while handling that, ... */
  loop_depth?: number;
  /** the id of the fault rule that decided what happened to it */
  fault?: string;
  /** a reorder fault holds it back: it is POSTed (and reported again) after the next delivery */
  held?: true;
  /** the second POST of a duplicate fault */
  duplicate?: true;
}

/** A fault rule fired: which, on what call, doing what, for which JIDs. */
export interface FaultEvent {
  type: 'fault';
  rule: string;
  name?: string;
  call: FaultCall;
  effect: string;
  jids: string[];
}

/** The POST as sent and the app's answer, each text cut at CAPTURE_BYTES (deliver.ts). */
export interface Exchange {
  request: {
    method: 'POST';
    url: string;
    headers: Record<string, string>;
    parts: Array<{ name: string; content_type: string; value: string; truncated: boolean }>;
    body_bytes: number;
  };
  response: { status: number; headers: Record<string, string>; body: string; body_bytes: number; truncated: boolean } | null;
}

export type EventBody =
  | { type: 'sent'; entry: OutboxEntry }
  | { type: 'delivered'; result: DeliveryResult; exchange?: Exchange; inbound?: RecordedInbound }
  | { type: 'presence'; jid: string; presence: PresenceState; subscribed: boolean; source: 'api' | 'inbound' | 'invite' }
  | { type: 'config'; source: 'app.yaml' | 'presence' | 'transcript'; ok: boolean; message: string }
  | { type: 'outbox.cleared'; count: number }
  | XmppSessionEvent
  | FaultEvent
  | { type: 'clock'; clock: ClockState }
  | { type: 'reset' }
  | CallEvent
  | Rejection;

/** A real XMPP client connected, changed its presence (show null: unavailable or none yet), or went away. */
export interface XmppSessionEvent extends ConnectedClient {
  type: 'xmpp.session';
  state: 'connected' | 'presence' | 'disconnected';
}

/**
 * A read the app made and the emulator answered (get_presence, bulk or single): the request as the protocol carried
 * it (the JSON body, or the decoded protobuf) and the answer, in the JSON API's shape. A call that changes something
 * (send_message, send_invite, send_presence) is told by its `sent` event instead, whose outbox entry holds what was
 * sent, its statuses, protocol and cause; refusals are `rejected`. So each answered call is one event. Built from
 * references the call already holds, never copied or serialised on the call's path.
 */
export interface CallEvent {
  type: 'call';
  call: EngineCall;
  protocol: Protocol;
  /** the API-server method (xmpp.GetPresence, xmpp.BulkGetPresence), for the protobuf protocols */
  method?: string;
  request: unknown;
  answer: EngineAnswer;
  /** the delivery whose handler made the call (its ticket), or null */
  in_reply_to: string | null;
}

/** A call the emulator refused: what was called, how, the coded error it answered, and the request (bounded). */
export interface Rejection {
  type: 'rejected';
  call: string;
  protocol: Protocol;
  code: string;
  message: string;
  request: unknown;
}

/** `namespace` is absent for the default namespace. */
export type EmulatorEvent = EventBody & { seq: number; time: string; namespace?: string };

export type EventListener = (event: EmulatorEvent) => void;
