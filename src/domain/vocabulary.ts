// The XMPP vocabulary, once: message types, presence types, show values, subscription types, and the words people
// type for a presence. The REPL, the CLI's choices, conversation files, validation and the SDK all read it here.

/** message_type of send_message, and the type of an injected message. */
export const MESSAGE_TYPES = ['', 'chat', 'error', 'groupchat', 'headline', 'normal'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** The message types App Engine delivered to the app's /_ah/xmpp/message/chat/ handler; the rest it dropped. */
export const DELIVERABLE_MESSAGE_TYPES: readonly string[] = ['chat', 'normal', ''];

export function isDeliverableMessageType(type: string): boolean {
  return DELIVERABLE_MESSAGE_TYPES.includes(type);
}

/** presence_type of send_presence (what the app sends): '' is available. */
export const SEND_PRESENCE_TYPES = ['', 'unavailable', 'probe'] as const;
export type SendPresenceType = (typeof SEND_PRESENCE_TYPES)[number];

/** The type of an inbound presence (what the app receives, and the /_ah/xmpp/presence/TYPE/ path). */
export const INBOUND_PRESENCE_TYPES = ['available', 'unavailable', 'probe'] as const;
export type InboundPresenceType = (typeof INBOUND_PRESENCE_TYPES)[number];

/** <show/> values; '' means none. */
export const SHOW_VALUES = ['', 'away', 'chat', 'dnd', 'xa'] as const;
export type Show = (typeof SHOW_VALUES)[number];
/** The show values that can be written as a word on their own. */
export const SHOW_WORDS = ['away', 'chat', 'dnd', 'xa'] as const;

export const SUBSCRIPTION_TYPES = ['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed'] as const;
export type SubscriptionType = (typeof SUBSCRIPTION_TYPES)[number];

/** What get_presence reports for a JID. */
export interface PresenceState {
  available: boolean;
  show: Show;
  status: string;
}

/** The words for a presence state: `available`, `unavailable`, or a show value (available with that show). */
export const PRESENCE_WORDS = ['available', 'unavailable', ...SHOW_WORDS] as const;
export type PresenceWord = (typeof PRESENCE_WORDS)[number];

export function isOneOf<T extends string>(value: unknown, list: readonly T[]): value is T {
  return (list as readonly unknown[]).includes(value);
}

/** A presence word as state, or null when it is not one. */
export function presenceFromWord(word: string): PresenceState | null {
  if (word === 'available') return { available: true, show: '', status: '' };
  if (word === 'unavailable') return { available: false, show: '', status: '' };
  if (isOneOf(word, SHOW_WORDS)) return { available: true, show: word, status: '' };
  return null;
}

/** The words for an inbound presence: its types, or a show value (an available presence with that show). */
export const INBOUND_PRESENCE_WORDS = [...INBOUND_PRESENCE_TYPES, ...SHOW_WORDS] as const;

export function inboundPresenceFromWord(word: string): { type: InboundPresenceType; show?: Show } | null {
  if (isOneOf(word, INBOUND_PRESENCE_TYPES)) return { type: word };
  if (isOneOf(word, SHOW_WORDS)) return { type: 'available', show: word };
  return null;
}

/** What the app sent, as kept in the outbox. */
export const OUTBOX_KINDS = ['message', 'invite', 'presence'] as const;
export type OutboxKind = (typeof OUTBOX_KINDS)[number];

/** What the developer injects, as the app receives it. */
export const INBOUND_KINDS = ['message', 'presence', 'subscription', 'error'] as const;
export type InboundKind = (typeof INBOUND_KINDS)[number];
