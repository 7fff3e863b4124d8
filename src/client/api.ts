// The service calls an app makes, shaped like the original Python API, over HTTP to the emulator.
import { UnspecifiedError } from '../domain/errors.js';
import type { GetPresenceAnswer, SendMessageAnswer } from '../domain/wire.js';
import { ticketHeaders } from './ticket.js';
import { baseUrl, requestJson } from './transport.js';

export { NO_ERROR, INVALID_JID, OTHER_ERROR } from '../domain/wire.js';

export const MESSAGE_TYPE_NONE = '';
export const MESSAGE_TYPE_CHAT = 'chat';
export const MESSAGE_TYPE_ERROR = 'error';
export const MESSAGE_TYPE_GROUPCHAT = 'groupchat';
export const MESSAGE_TYPE_HEADLINE = 'headline';
export const MESSAGE_TYPE_NORMAL = 'normal';

export const PRESENCE_TYPE_AVAILABLE = '';
export const PRESENCE_TYPE_UNAVAILABLE = 'unavailable';
export const PRESENCE_TYPE_PROBE = 'probe';

export const PRESENCE_SHOW_NONE = '';
export const PRESENCE_SHOW_AWAY = 'away';
export const PRESENCE_SHOW_CHAT = 'chat';
export const PRESENCE_SHOW_DND = 'dnd';
export const PRESENCE_SHOW_XA = 'xa';

export const MAX_STATUS_MESSAGE_SIZE = 1024;

export interface ClientOptions {
  /** HOST:PORT or a URL of the emulator; default: the XMPP_EMULATOR_HOST environment variable */
  host?: string;
  /** the calling version's name; default: the GAE_VERSION environment variable */
  version?: string;
  /** the calling module (service); default: the GAE_SERVICE environment variable. Production refused non-default modules */
  module?: string;
}

export function emulatorBaseUrl(host = process.env.XMPP_EMULATOR_HOST): string {
  if (!host) {
    throw new UnspecifiedError('XMPP_EMULATOR_HOST is not set: start the emulator (xmpp-emu start) and export the line it prints');
  }
  return baseUrl(host);
}

async function call<T>(path: string, body: Record<string, unknown>, opts: ClientOptions): Promise<T> {
  const base = emulatorBaseUrl(opts.host);
  const version = opts.version ?? process.env.GAE_VERSION;
  const module = opts.module ?? process.env.GAE_SERVICE;
  return requestJson<T>(`${base}${path}`, {
    method: 'POST',
    body,
    headers: {
      ...(version ? { 'X-AppEngine-Version': version } : {}),
      ...(module ? { 'X-AppEngine-Module': module } : {}),
      ...ticketHeaders(),
    },
    unreachable: (cause, e) => `cannot reach the XMPP emulator at ${base}: ${cause?.message ?? e.message}`,
  });
}

export interface SendMessageOptions extends ClientOptions {
  fromJid?: string;
  messageType?: string;
  rawXml?: boolean;
}

/** One JID in: one status out. A list in: one status per JID, in order. */
export function sendMessage(jids: string, body: string, options?: SendMessageOptions): Promise<number>;
export function sendMessage(jids: string[], body: string, options?: SendMessageOptions): Promise<number[]>;
export async function sendMessage(jids: string | string[], body: string, options: SendMessageOptions = {}): Promise<number | number[]> {
  const { statuses } = await call<SendMessageAnswer>(
    '/v1/xmpp/send_message',
    { jids, body, from_jid: options.fromJid, message_type: options.messageType ?? MESSAGE_TYPE_CHAT, raw_xml: options.rawXml ?? false },
    options,
  );
  return Array.isArray(jids) ? statuses : statuses[0]!;
}

export async function sendInvite(jid: string, options: ClientOptions & { fromJid?: string } = {}): Promise<void> {
  await call('/v1/xmpp/send_invite', { jid, from_jid: options.fromJid }, options);
}

export interface GetPresenceOptions extends ClientOptions {
  fromJid?: string;
  getShow?: boolean;
}

/**
 * One JID: whether it is available, or with getShow the pair [available, show].
 * A list: one [available, show, valid] triple per JID.
 */
export function getPresence(jid: string, options?: GetPresenceOptions & { getShow?: false }): Promise<boolean>;
export function getPresence(jid: string, options: GetPresenceOptions & { getShow: true }): Promise<[boolean, string]>;
export function getPresence(jids: string[], options?: GetPresenceOptions): Promise<Array<[boolean, string, boolean]>>;
export async function getPresence(
  jid: string | string[],
  options: GetPresenceOptions = {},
): Promise<boolean | [boolean, string] | Array<[boolean, string, boolean]>> {
  const { presence } = await call<GetPresenceAnswer>('/v1/xmpp/get_presence', { jid, from_jid: options.fromJid }, options);
  if (Array.isArray(jid)) return presence.map((p): [boolean, string, boolean] => [p.available, p.show, p.valid]);
  const p = presence[0]!;
  return options.getShow ? [p.available, p.show] : p.available;
}

export interface SendPresenceOptions extends ClientOptions {
  status?: string;
  fromJid?: string;
  presenceType?: string;
  presenceShow?: string;
}

export async function sendPresence(jid: string, options: SendPresenceOptions = {}): Promise<void> {
  await call(
    '/v1/xmpp/send_presence',
    { jid, status: options.status, from_jid: options.fromJid, presence_type: options.presenceType ?? '', presence_show: options.presenceShow ?? '' },
    options,
  );
}
