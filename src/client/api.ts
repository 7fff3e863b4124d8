// The service calls an app makes, shaped like the original Python API, over HTTP to the emulator.
import { errorFromBody, UnspecifiedError } from '../domain/errors.js';

export const NO_ERROR = 0;
export const INVALID_JID = 1;
export const OTHER_ERROR = 2;

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
}

export function emulatorBaseUrl(host = process.env.XMPP_EMULATOR_HOST): string {
  if (!host) {
    throw new UnspecifiedError('XMPP_EMULATOR_HOST is not set: start the emulator (xmpp-emu start) and export the line it prints');
  }
  return (/^https?:\/\//.test(host) ? host : `http://${host}`).replace(/\/+$/, '');
}

async function call<T>(path: string, body: Record<string, unknown>, opts: ClientOptions): Promise<T> {
  const base = emulatorBaseUrl(opts.host);
  const version = opts.version ?? process.env.GAE_VERSION;
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(version ? { 'X-AppEngine-Version': version } : {}) },
      body: JSON.stringify(body),
    });
  } catch (e) {
    throw new UnspecifiedError(`cannot reach the XMPP emulator at ${base}: ${(e as Error & { cause?: Error }).cause?.message ?? (e as Error).message}`);
  }
  const data: unknown = await res.json().catch(() => null);
  if (!res.ok) throw errorFromBody(data, res.status);
  return data as T;
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
  const { statuses } = await call<{ statuses: number[] }>(
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

interface PresenceWire {
  jid: string;
  valid: boolean;
  available: boolean;
  show: string;
  status: string;
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
  const { presence } = await call<{ presence: PresenceWire[] }>('/v1/xmpp/get_presence', { jid, from_jid: options.fromJid }, options);
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
