// Planning an inbound delivery: which path, which multipart fields, or why nothing is delivered. No I/O.
import { routeInbound, defaultAppJid, type AppIdentity } from './addresses.js';
import type { XmppService } from './app-yaml.js';
import { BadRequestError, InvalidJidError, InvalidXmlError, NoBodyError, InvalidTypeError } from './errors.js';
import { parseJid } from './jid.js';
import { errorStanza, messageStanza, presenceStanza } from './stanza.js';
import { MAX_MESSAGE_BYTES, optionalString, rejectUnknownFields, requireObject, truncate, validateShow, validateStatus } from './validate.js';
import { INBOUND_PRESENCE_TYPES, isDeliverableMessageType, isOneOf, MESSAGE_TYPES, SUBSCRIPTION_TYPES, type InboundKind } from './vocabulary.js';
import { firstNonXmlChar, xmlDocumentError } from './xml.js';

export const SERVICE_FOR: Record<InboundKind, XmppService> = {
  message: 'xmpp_message',
  presence: 'xmpp_presence',
  subscription: 'xmpp_subscribe',
  error: 'xmpp_error',
};

/** How the dev server labelled each part: every part names its charset. */
export const TEXT_PART = 'text/plain; charset="UTF-8"';
export const XML_PART = 'text/xml; charset="UTF-8"';
/** The injector posted as a logged-in administrator. */
export const ADMIN_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'X-AppEngine-Fake-Is-Admin': '1',
  'X-AppEngine-Fake-Logged-In': '1',
});

export interface Part {
  name: string;
  value: string;
  contentType: string;
}

export interface Delivery {
  kind: InboundKind;
  /** message type, presence type or subscription type */
  type: string;
  from: string;
  to: string;
  /** null: the default version */
  version: string | null;
  path: string;
  parts: Part[];
  stanza: string;
  /** message: the body; presence: show and status (applied to presence state whether or not the app takes it) */
  body?: string;
  show?: string;
  status?: string;
  /** played again by `xmpp-emu replay`: a transcript reader skips it, so replaying never adds turns to a recording */
  replay?: boolean;
}

export type Plan = { deliver: true; delivery: Delivery } | { deliver: false; delivery: Delivery; reason: string };

export interface InboundContext {
  app: AppIdentity;
  /** null: no app.yaml, every service enabled */
  enabled: readonly XmppService[] | null;
}

/**
 * An injection's `replay: true` (sent by `xmpp-emu replay`): taken off the fields before they are checked, and put on
 * the delivery, so that its `delivered` event says it was replayed.
 */
export function takeReplayMark(input: unknown): { input: unknown; replay: boolean } {
  if (typeof input !== 'object' || input === null || Array.isArray(input) || !('replay' in input)) return { input, replay: false };
  const { replay, ...fields } = input as Record<string, unknown>;
  if (typeof replay !== 'boolean') throw new BadRequestError(`replay must be true or false, not ${truncate(JSON.stringify(replay) ?? String(replay))}`);
  return { input: fields, replay };
}

function readFromJid(f: Record<string, unknown>): string {
  const from = optionalString(f, 'from');
  if (from === undefined || from === '') throw new InvalidJidError(`from is ${from === '' ? 'empty' : 'missing'}`);
  const r = parseJid(from);
  if (!r.ok) throw new InvalidJidError(`from "${truncate(from)}" is not a valid JID: ${r.reason}`);
  return from;
}

function readToJid(f: Record<string, unknown>, app: AppIdentity): string {
  const to = optionalString(f, 'to') ?? defaultAppJid(app.appId);
  const r = parseJid(to);
  if (!r.ok) throw new InvalidJidError(`to "${truncate(to)}" is not a valid JID: ${r.reason}`);
  return to;
}

function text(name: string, value: string): Part {
  return { name, value, contentType: TEXT_PART };
}

/** Apply the rules every inbound kind shares: address routing, then the app.yaml switch. */
function decide(delivery: Delivery, ctx: InboundContext, ruleReason: string | null): Plan {
  if (ruleReason) return { deliver: false, delivery, reason: ruleReason };
  const route = routeInbound(delivery.to, ctx.app);
  if (!route.ok) return { deliver: false, delivery, reason: route.reason };
  delivery.version = route.version;
  const service = SERVICE_FOR[delivery.kind];
  if (ctx.enabled !== null && !ctx.enabled.includes(service)) {
    return { deliver: false, delivery, reason: `inbound service ${service} is not enabled in app.yaml (inbound_services)` };
  }
  return { deliver: true, delivery };
}

/**
 * The same plan with the stanza a real XMPP client sent (its sender stamped) in place of the one built from the
 * fields: production posted what the client sent, extensions such as origin-id or chat states included.
 */
export function withClientStanza(plan: Plan, stanza: string): Plan {
  const parts = plan.delivery.parts.map((p) => (p.name === 'stanza' ? { ...p, value: stanza } : p));
  return { ...plan, delivery: { ...plan.delivery, stanza, parts } };
}

export function planMessage(input: unknown, ctx: InboundContext): Plan {
  const f = requireObject(input);
  rejectUnknownFields(f, ['from', 'to', 'body', 'type']);
  const from = readFromJid(f);
  const to = readToJid(f, ctx.app);
  const body = optionalString(f, 'body');
  if (body === undefined || body === '') throw new NoBodyError(`body is ${body === '' ? 'empty' : 'missing'}`);
  const bad = firstNonXmlChar(body);
  if (bad) throw new InvalidXmlError(`body contains ${bad}, which an XMPP stanza cannot carry`);
  const type = optionalString(f, 'type') ?? 'chat';
  if (!isOneOf(type, MESSAGE_TYPES)) {
    throw new InvalidTypeError(`type "${truncate(type)}" is not one of: "", chat, normal, error, groupchat, headline`);
  }
  const stanza = messageStanza({ from, to, type, body });
  // A message of type error is an error stanza: App Engine posted it to the error handler, with from and stanza.
  if (type === 'error') {
    const parts = [text('from', from), { name: 'stanza', value: stanza, contentType: XML_PART }];
    return decide({ kind: 'error', type: 'error', from, to, version: null, path: '/_ah/xmpp/error/', parts, stanza, body }, ctx, null);
  }
  const delivery: Delivery = {
    kind: 'message',
    type,
    from,
    to,
    version: null,
    path: '/_ah/xmpp/message/chat/',
    parts: [text('from', from), text('to', to), text('body', body), { name: 'stanza', value: stanza, contentType: XML_PART }],
    stanza,
    body,
  };
  const bytes = Buffer.byteLength(body, 'utf8');
  const rule = !isDeliverableMessageType(type)
    ? `messages of type "${type}" are not delivered to the app (only chat and normal are)`
    : bytes > MAX_MESSAGE_BYTES
      ? `the message body is ${bytes} bytes; incoming messages over ${MAX_MESSAGE_BYTES} bytes (100 KB) are not delivered`
      : null;
  return decide(delivery, ctx, rule);
}

export function planPresence(input: unknown, ctx: InboundContext): Plan {
  const f = requireObject(input);
  rejectUnknownFields(f, ['from', 'to', 'type', 'show', 'status']);
  const from = readFromJid(f);
  const to = readToJid(f, ctx.app);
  let type = optionalString(f, 'type') ?? 'available';
  if (type === '') type = 'available';
  if (!isOneOf(type, INBOUND_PRESENCE_TYPES)) {
    throw new InvalidTypeError(`type "${truncate(type)}" is not one of: ${INBOUND_PRESENCE_TYPES.join(', ')}`);
  }
  const show = validateShow(optionalString(f, 'show') ?? '', 'show');
  const status = validateStatus(optionalString(f, 'status')) ?? '';
  const stanza = presenceStanza({ from, to, type: type === 'available' ? '' : type, show, status });
  const parts = [text('from', from), text('to', to)];
  if (show) parts.push(text('show', show));
  if (status) parts.push(text('status', status));
  parts.push({ name: 'stanza', value: stanza, contentType: XML_PART });
  return decide({ kind: 'presence', type, from, to, version: null, path: `/_ah/xmpp/presence/${type}/`, parts, stanza, show, status }, ctx, null);
}

export function planSubscription(input: unknown, ctx: InboundContext): Plan {
  const f = requireObject(input);
  rejectUnknownFields(f, ['from', 'to', 'type']);
  const from = readFromJid(f);
  const to = readToJid(f, ctx.app);
  const type = optionalString(f, 'type');
  if (type === undefined || !isOneOf(type, SUBSCRIPTION_TYPES)) {
    throw new InvalidTypeError(`type ${type === undefined ? 'is missing; it must be' : `"${truncate(type)}" is not`} one of: ${SUBSCRIPTION_TYPES.join(', ')}`);
  }
  const stanza = presenceStanza({ from, to, type });
  const parts = [text('from', from), text('to', to), { name: 'stanza', value: stanza, contentType: XML_PART }];
  return decide({ kind: 'subscription', type, from, to, version: null, path: `/_ah/xmpp/subscription/${type}/`, parts, stanza }, ctx, null);
}

export function planError(input: unknown, ctx: InboundContext): Plan {
  const f = requireObject(input);
  rejectUnknownFields(f, ['from', 'to', 'stanza']);
  const from = readFromJid(f);
  const to = readToJid(f, ctx.app);
  const given = optionalString(f, 'stanza');
  if (given !== undefined) {
    const why = firstNonXmlChar(given) ? `contains ${firstNonXmlChar(given)}, which XML 1.0 cannot carry` : xmlDocumentError(given);
    if (why) throw new InvalidXmlError(`stanza is not well-formed XML: ${why}`);
  }
  const stanza = given ?? errorStanza(from, to);
  const parts = [text('from', from), { name: 'stanza', value: stanza, contentType: XML_PART }];
  return decide({ kind: 'error', type: 'error', from, to, version: null, path: '/_ah/xmpp/error/', parts, stanza }, ctx, null);
}
