// The xmpp service's protobuf methods, mapped onto the engine's four calls and back: decode a method's request
// into the same input the JSON service API takes (so both protocols share one validation), and encode the
// engine's answer as that method's response. Pure: no I/O.
import type protobuf from 'protobufjs';
import { root } from './api-protos.js';
import type { ErrorCode } from './errors.js';
import { SHOW_VALUES, type Show } from './vocabulary.js';

export const Envelope = {
  Request: root.lookupType('remote_api.Request'),
  Response: root.lookupType('remote_api.Response'),
};

/** remote_api RpcError codes: transport-level failures (the Go SDK reads them; the Python 2 SDK ignores them). */
export const RPC_ERROR = {
  UNKNOWN: 0,
  CALL_NOT_FOUND: 1,
  PARSE_ERROR: 2,
  SECURITY_VIOLATION: 3,
  OVER_QUOTA: 4,
  REQUEST_TOO_LARGE: 5,
  CAPABILITY_DISABLED: 6,
  FEATURE_DISABLED: 7,
  BAD_REQUEST: 8,
  RESPONSE_TOO_LARGE: 9,
  CANCELLED: 10,
  REPLAY_ERROR: 11,
  DEADLINE_EXCEEDED: 12,
} as const;
export type RpcErrorName = keyof typeof RPC_ERROR;

/** XmppServiceError codes, sent as application_error.code. Our codes the service had no number for map to 1. */
export const XMPP_ERROR: Partial<Record<ErrorCode, number>> = {
  UNSPECIFIED_ERROR: 1,
  INVALID_JID: 2,
  NO_BODY: 3,
  INVALID_XML: 4,
  INVALID_TYPE: 5,
  INVALID_SHOW: 6,
  EXCEEDED_MAX_SIZE: 7,
  APPID_ALIAS_REQUIRED: 8,
  NONDEFAULT_MODULE: 9,
};

/** PresenceResponse.SHOW, in enum order: NORMAL "", AWAY, DO_NOT_DISTURB "dnd", CHAT, EXTENDED_AWAY "xa". */
const SHOW_NUMBER: Record<Show, number> = { '': 0, away: 1, dnd: 2, chat: 3, xa: 4 };

export type EngineCall = 'send_message' | 'get_presence' | 'send_invite' | 'send_presence';

interface PresenceAnswerLike {
  valid: boolean;
  available: boolean;
  show: string;
}

/** What the engine answered, in the JSON API's shape. */
export type EngineAnswer = { statuses?: number[]; presence?: PresenceAnswerLike[] };

interface Method {
  request: protobuf.Type;
  response: protobuf.Type;
  call: EngineCall;
  /** the decoded request as the JSON service API's input */
  input(m: Record<string, unknown>): Record<string, unknown>;
  /** the engine's answer as this method's response object */
  output(a: EngineAnswer): Record<string, unknown>;
}

const type = (name: string): protobuf.Type => root.lookupType(`appengine.${name}`);

function presenceResponse(p: PresenceAnswerLike): Record<string, unknown> {
  // `presence` only when available: the Go SDK reads a missing one as unavailable.
  const show = (SHOW_VALUES as readonly string[]).includes(p.show) ? (p.show as Show) : '';
  return p.available ? { is_available: true, presence: SHOW_NUMBER[show], valid: p.valid } : { is_available: false, valid: p.valid };
}

// Optional proto2 fields read through the prototype's defaults; `from_jid` is passed only when sent.
const fromJid = (m: Record<string, unknown>): Record<string, unknown> => (Object.hasOwn(m, 'from_jid') ? { from_jid: m.from_jid } : {});

export const XMPP_METHODS: Readonly<Record<string, Method>> = {
  SendMessage: {
    request: type('XmppMessageRequest'),
    response: type('XmppMessageResponse'),
    call: 'send_message',
    // One JID is passed as one, so errors name it as the JSON API's do.
    input: (m) => ({
      jids: (m.jid as string[]).length === 1 ? (m.jid as string[])[0] : m.jid,
      body: m.body,
      message_type: m.type,
      raw_xml: m.raw_xml,
      ...fromJid(m),
    }),
    output: (a) => ({ status: a.statuses }),
  },
  GetPresence: {
    request: type('PresenceRequest'),
    response: type('PresenceResponse'),
    call: 'get_presence',
    input: (m) => ({ jid: m.jid, ...fromJid(m) }),
    output: (a) => presenceResponse(a.presence![0]!),
  },
  BulkGetPresence: {
    request: type('BulkPresenceRequest'),
    response: type('BulkPresenceResponse'),
    call: 'get_presence',
    input: (m) => ({ jid: m.jid, ...fromJid(m) }),
    output: (a) => ({ presence_response: a.presence!.map(presenceResponse) }),
  },
  SendInvite: {
    request: type('XmppInviteRequest'),
    response: type('XmppInviteResponse'),
    call: 'send_invite',
    input: (m) => ({ jid: m.jid, ...fromJid(m) }),
    output: () => ({}),
  },
  SendPresence: {
    request: type('XmppSendPresenceRequest'),
    response: type('XmppSendPresenceResponse'),
    call: 'send_presence',
    input: (m) => ({
      jid: m.jid,
      ...(Object.hasOwn(m, 'type') ? { presence_type: m.type } : {}),
      ...(Object.hasOwn(m, 'show') ? { presence_show: m.show } : {}),
      ...(Object.hasOwn(m, 'status') ? { status: m.status } : {}),
      ...fromJid(m),
    }),
    output: () => ({}),
  },
};

/** Services and methods the SDKs call that need no emulation beyond an empty success. */
export const EMPTY_SUCCESS: ReadonlySet<string> = new Set(['logservice.Flush']);

export function encodeResponse(fields: Record<string, unknown>): Uint8Array {
  return Envelope.Response.encode(fields).finish();
}

/** The size of send_message's request as the SDKs encode it: what the service's 1 MB call limit measured. */
export function encodedMessageRequestBytes(r: { jids: string[]; body: string; rawXml: boolean; messageType: string; fromJid?: string }): number {
  return XMPP_METHODS.SendMessage!.request.encode({
    jid: r.jids,
    body: r.body,
    raw_xml: r.rawXml,
    ...(r.messageType !== 'chat' ? { type: r.messageType } : {}),
    ...(r.fromJid ? { from_jid: r.fromJid } : {}),
  }).finish().length;
}

/**
 * The module (service) a request_id names when it is the SDK's own ticket, APP/MODULE.VERSION.INSTANCE: the Go SDK
 * builds it from GAE_SERVICE (or GAE_MODULE_NAME) for calls made outside a delivery. Tickets the emulator issues
 * name none.
 */
export function moduleOfTicket(ticket: string | null | undefined): string | null {
  const m = /^[^/]+\/([a-z0-9-]+)\.[^/]*$/i.exec(ticket ?? '');
  return m ? m[1]! : null;
}
