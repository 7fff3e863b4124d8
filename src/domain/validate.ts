// Request validation for the four service calls: the original API's checks, in its order, with no I/O.
import {
  BadRequestError,
  ExceededMaxSizeError,
  InvalidJidError,
  InvalidShowError,
  InvalidStatusError,
  InvalidTypeError,
  InvalidXmlError,
  NoBodyError,
} from './errors.js';
import { parseJid } from './jid.js';
import { MESSAGE_TYPES, SEND_PRESENCE_TYPES, SHOW_VALUES, type MessageType, type SendPresenceType, type Show } from './vocabulary.js';
import { encodedMessageRequestBytes } from './xmpp-rpc.js';
import { firstNonXmlChar, xmlFragmentError } from './xml.js';

export const MAX_STATUS_LENGTH = 1024;
export const MAX_MESSAGE_BYTES = 100 * 1024;
export const MAX_CALL_BYTES = 1024 * 1024;

type Fields = Record<string, unknown>;

export function requireObject(body: unknown, what = 'request body'): Fields {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new BadRequestError(`${what} must be a JSON object`);
  }
  return body as Fields;
}

export function rejectUnknownFields(fields: Fields, known: readonly string[]): void {
  for (const key of Object.keys(fields)) {
    if (!known.includes(key)) throw new BadRequestError(`unknown field "${key}" (expected one of: ${known.join(', ')})`);
  }
}

export function optionalString(fields: Fields, key: string): string | undefined {
  const v = fields[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new BadRequestError(`${key} must be a string, not ${describe(v)}`);
  return v;
}

function optionalBoolean(fields: Fields, key: string): boolean | undefined {
  const v = fields[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new BadRequestError(`${key} must be true or false, not ${describe(v)}`);
  return v;
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`.slice(0, 60);
}

/** jids as the original took them: one JID or a list; `single` says which, so an error about the only JID can quote it. */
export function readJidList(fields: Fields, key: string): { jids: string[]; single: boolean } {
  const v = fields[key];
  if (v === undefined || v === null) throw new InvalidJidError(`${key} is missing`);
  if (typeof v === 'string') {
    if (v === '') throw new InvalidJidError(`${key} is empty`);
    return { jids: [v], single: true };
  }
  if (!Array.isArray(v)) throw new BadRequestError(`${key} must be a JID string or a list of JID strings, not ${describe(v)}`);
  if (v.length === 0) throw new InvalidJidError(`${key} is an empty list`);
  v.forEach((j, i) => {
    if (typeof j !== 'string') throw new BadRequestError(`${key}[${i}] must be a string, not ${describe(j)}`);
    if (j === '') throw new InvalidJidError(`${key}[${i}] is empty`);
  });
  return { jids: v as string[], single: false };
}

/** One JID, valid, or the coded error naming the field. */
export function readSingleJid(fields: Fields, key: string): string {
  const v = fields[key];
  if (v === undefined || v === null || v === '') throw new InvalidJidError(`${key} is ${v === '' ? 'empty' : 'missing'}`);
  if (typeof v !== 'string') throw new BadRequestError(`${key} must be a JID string, not ${describe(v)}`);
  const r = parseJid(v);
  if (!r.ok) throw new InvalidJidError(`${key} "${truncate(v)}" is not a valid JID: ${r.reason}`);
  return v;
}

export function truncate(s: string, max = 80): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], field: string, Err: new (m: string) => Error): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new Err(`${field} "${truncate(value)}" is not one of: ${allowed.map((a) => (a === '' ? '""' : a)).join(', ')}`);
  }
  return value as T;
}

export interface SendMessageRequest {
  jids: string[];
  single: boolean;
  body: string;
  fromJid: string | undefined;
  messageType: MessageType;
  rawXml: boolean;
  /** the body's UTF-8 length, measured once for the size check and reused for the stanza's */
  bodyBytes: number;
}

/** `asciiText`: the caller saw that every string in `input` is ASCII from U+0020 to U+007F (see CallContext). */
export function validateSendMessage(input: unknown, asciiText = false): SendMessageRequest {
  const f = requireObject(input);
  rejectUnknownFields(f, ['jids', 'body', 'from_jid', 'message_type', 'raw_xml']);
  // The service reported a missing body before bad JIDs.
  const body = optionalString(f, 'body');
  if (body === undefined || body === '') throw new NoBodyError(`body is ${body === '' ? 'empty' : 'missing'}`);
  const { jids, single } = readJidList(f, 'jids');
  const fromJid = optionalString(f, 'from_jid');
  const messageType = oneOf(optionalString(f, 'message_type') ?? 'chat', MESSAGE_TYPES, 'message_type', InvalidTypeError);
  const rawXml = optionalBoolean(f, 'raw_xml') ?? false;
  const bodyBytes = checkSizes({ jids, body, fromJid, messageType, rawXml }, asciiText ? body.length : Buffer.byteLength(body, 'utf8'));
  if (rawXml) {
    const why = xmlFragmentError(body);
    if (why) throw new InvalidXmlError(`body is not well-formed XML (raw_xml is true): ${why}`);
  } else if (!asciiText) {
    const bad = firstNonXmlChar(body);
    if (bad) throw new InvalidXmlError(`body contains ${bad}, which an XMPP stanza cannot carry`);
  }
  return { jids, single, body, fromJid, messageType, rawXml, bodyBytes };
}

// Bytes a field can add to its content in the encoding: a tag and a length (a length under 2 MB fits in 3 bytes).
const FIELD_OVERHEAD = 4;

/** The body's UTF-8 length (`bodyBytes`), once within the service's limits. */
function checkSizes(req: Omit<SendMessageRequest, 'single' | 'bodyBytes'>, bodyBytes: number): number {
  if (bodyBytes > MAX_MESSAGE_BYTES) {
    throw new ExceededMaxSizeError(`body is ${bodyBytes} bytes; a message may be at most ${MAX_MESSAGE_BYTES} bytes (100 KB)`);
  }
  // The service measured the call on its encoded request, as the SDKs send it. Encoding costs a copy, so it is done
  // only when the content with the most overhead it could carry might pass the limit.
  const content =
    req.jids.reduce((n, j) => n + Buffer.byteLength(j, 'utf8'), bodyBytes) + Buffer.byteLength(req.fromJid ?? '', 'utf8') + req.messageType.length;
  if (content + FIELD_OVERHEAD * (req.jids.length + 4) <= MAX_CALL_BYTES) return bodyBytes;
  const callBytes = encodedMessageRequestBytes(req);
  if (callBytes > MAX_CALL_BYTES) {
    throw new ExceededMaxSizeError(
      `the call is ${callBytes} bytes encoded (recipients plus body, as the service measured it); at most ${MAX_CALL_BYTES} bytes (1 MB)`,
    );
  }
  return bodyBytes;
}

export interface SendInviteRequest {
  jid: string;
  fromJid: string | undefined;
}

export function validateSendInvite(input: unknown): SendInviteRequest {
  const f = requireObject(input);
  rejectUnknownFields(f, ['jid', 'from_jid']);
  return { jid: readSingleJid(f, 'jid'), fromJid: optionalString(f, 'from_jid') };
}

export interface GetPresenceRequest {
  jids: string[];
  single: boolean;
  fromJid: string | undefined;
}

export function validateGetPresence(input: unknown): GetPresenceRequest {
  const f = requireObject(input);
  rejectUnknownFields(f, ['jid', 'from_jid', 'get_show']);
  optionalBoolean(f, 'get_show');
  const { jids, single } = readJidList(f, 'jid');
  return { jids, single, fromJid: optionalString(f, 'from_jid') };
}

export interface SendPresenceRequest {
  jid: string;
  status: string | undefined;
  fromJid: string | undefined;
  presenceType: SendPresenceType;
  presenceShow: Show;
}

export function validateShow(value: string, field = 'presence_show'): Show {
  return oneOf(value, SHOW_VALUES, field, InvalidShowError);
}

export function validateStatus(status: string | undefined, field = 'status'): string | undefined {
  if (status === undefined) return undefined;
  const length = [...status].length;
  if (length > MAX_STATUS_LENGTH) {
    throw new InvalidStatusError(`${field} is ${length} characters; at most ${MAX_STATUS_LENGTH}`);
  }
  const bad = firstNonXmlChar(status);
  if (bad) throw new InvalidStatusError(`${field} contains ${bad}, which an XMPP stanza cannot carry`);
  return status;
}

export function validateSendPresence(input: unknown): SendPresenceRequest {
  const f = requireObject(input);
  rejectUnknownFields(f, ['jid', 'status', 'from_jid', 'presence_type', 'presence_show']);
  const jid = readSingleJid(f, 'jid');
  const presenceType = oneOf(optionalString(f, 'presence_type') ?? '', SEND_PRESENCE_TYPES, 'presence_type', InvalidTypeError);
  const presenceShow = validateShow(optionalString(f, 'presence_show') ?? '');
  const status = validateStatus(optionalString(f, 'status'));
  return { jid, status, fromJid: optionalString(f, 'from_jid'), presenceType, presenceShow };
}
