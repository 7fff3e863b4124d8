// Stanzas as App Engine delivered and sent them: jabber:client elements with escaped text.
import { escapeAttr, escapedTextBytes, escapeText } from './xml.js';

export const JABBER_CLIENT = 'jabber:client';

function attrs(pairs: Array<[string, string | null | undefined]>): string {
  let out = '';
  for (const [k, v] of pairs) if (v !== null && v !== undefined && v !== '') out += ` ${k}="${escapeAttr(v)}"`;
  return out;
}

export interface MessageStanzaInput {
  from: string;
  to: string;
  /** '' writes no type attribute */
  type: string;
  body: string;
  /** true: body is already XML and becomes the element's children */
  rawXml?: boolean;
}

const messageOpen = (m: MessageStanzaInput): string =>
  `<message xmlns="${JABBER_CLIENT}"${attrs([
    ['from', m.from],
    ['to', m.to],
    ['type', m.type],
  ])}>`;

export function messageStanza(m: MessageStanzaInput): string {
  const children = m.rawXml ? m.body : `<body>${escapeText(m.body)}</body>`;
  return `${messageOpen(m)}${children}</message>`;
}

/**
 * Buffer.byteLength(messageStanza(m)) without building the stanza (quotas count bytes; a 100 KB body need not be
 * escaped and copied for that). `bodyBytes`: the body's UTF-8 length, when the caller has already measured it.
 */
export function messageStanzaBytes(m: MessageStanzaInput, bodyBytes = Buffer.byteLength(m.body, 'utf8')): number {
  const children = m.rawXml ? bodyBytes : '<body></body>'.length + escapedTextBytes(m.body, bodyBytes);
  // The tags and each attribute counted apart: no opening tag built to be measured.
  return MESSAGE_TAGS_BYTES + attrBytes('from', m.from) + attrBytes('to', m.to) + attrBytes('type', m.type) + children;
}

const MESSAGE_TAGS_BYTES = `<message xmlns="${JABBER_CLIENT}"></message>`.length;

/** The UTF-8 bytes of ` name="value"` as attrs() writes it (nothing for an empty value). */
const attrBytes = (name: string, value: string): number => (value === '' ? 0 : name.length + 4 + Buffer.byteLength(escapeAttr(value), 'utf8'));

export interface PresenceStanzaInput {
  from: string;
  to: string;
  /** '' (available), unavailable, probe, subscribe, subscribed, unsubscribe, unsubscribed */
  type: string;
  show?: string;
  status?: string;
}

export function presenceStanza(p: PresenceStanzaInput): string {
  const children = (p.show ? `<show>${escapeText(p.show)}</show>` : '') + (p.status ? `<status>${escapeText(p.status)}</status>` : '');
  const open = `<presence xmlns="${JABBER_CLIENT}"${attrs([
    ['from', p.from],
    ['to', p.to],
    ['type', p.type],
  ])}`;
  return children ? `${open}>${children}</presence>` : `${open}/>`;
}

/** The error stanza delivered when the developer does not supply one: the recipient was unavailable. */
export function errorStanza(from: string, to: string, text = ''): string {
  const textEl = text ? `<text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">${escapeText(text)}</text>` : '';
  return (
    `<message xmlns="${JABBER_CLIENT}"${attrs([
      ['from', from],
      ['to', to],
      ['type', 'error'],
    ])}>` + `<error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>${textEl}</error></message>`
  );
}
