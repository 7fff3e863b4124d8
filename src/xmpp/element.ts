// A small XML element tree for stanzas: what the parser builds from a client and what the server writes back.
import { escapeAttr, escapeText, replaceNonXmlChars } from '../domain/xml.js';

export const NS = Object.freeze({
  client: 'jabber:client',
  stream: 'http://etherx.jabber.org/streams',
  framing: 'urn:ietf:params:xml:ns:xmpp-framing',
  tls: 'urn:ietf:params:xml:ns:xmpp-tls',
  sasl: 'urn:ietf:params:xml:ns:xmpp-sasl',
  bind: 'urn:ietf:params:xml:ns:xmpp-bind',
  session: 'urn:ietf:params:xml:ns:xmpp-session',
  streams: 'urn:ietf:params:xml:ns:xmpp-streams',
  stanzas: 'urn:ietf:params:xml:ns:xmpp-stanzas',
  roster: 'jabber:iq:roster',
  ping: 'urn:xmpp:ping',
  discoInfo: 'http://jabber.org/protocol/disco#info',
  discoItems: 'http://jabber.org/protocol/disco#items',
  xml: 'http://www.w3.org/XML/1998/namespace',
});

/** A parsed element: its local name and resolved namespace; attributes by the name written (xmlns declarations left out). */
export interface Element {
  local: string;
  ns: string;
  attrs: Record<string, string>;
  /** namespaces of prefixed attributes other than xml:, by attribute name, so they can be written back */
  attrNs: Record<string, string>;
  children: Array<Element | string>;
}

export function child(el: Element, local: string, ns?: string): Element | undefined {
  return el.children.find((c): c is Element => typeof c !== 'string' && c.local === local && (ns === undefined || c.ns === ns));
}

export function elements(el: Element): Element[] {
  return el.children.filter((c): c is Element => typeof c !== 'string');
}

export function textOf(el: Element | undefined): string {
  if (!el) return '';
  return el.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
}

/**
 * Write an element back as XML, declaring its namespace wherever it differs from its parent's, so a stanza
 * taken out of a TCP stream (where jabber:client was declared on the stream header) stands alone.
 */
export function serialize(el: Element, parentNs = ''): string {
  let out = `<${el.local}`;
  if (el.ns !== parentNs) out += ` xmlns="${escapeAttr(el.ns)}"`;
  const declared = new Set<string>();
  for (const [name, value] of Object.entries(el.attrs)) {
    const uri = el.attrNs[name];
    if (uri !== undefined) {
      const prefix = name.slice(0, name.indexOf(':'));
      if (!declared.has(prefix)) out += ` xmlns:${prefix}="${escapeAttr(uri)}"`;
      declared.add(prefix);
    }
    out += ` ${name}="${escapeAttr(value)}"`;
  }
  if (el.children.length === 0) return `${out}/>`;
  return `${out}>${el.children.map((c) => (typeof c === 'string' ? escapeText(c) : serialize(c, el.ns))).join('')}</${el.local}>`;
}

/** Build XML text for the server's own elements; attributes left undefined or null are not written. */
export function x(name: string, attrs: Record<string, string | undefined | null> = {}, ...children: Array<string | null | undefined | false>): string {
  let out = `<${name}`;
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) out += ` ${k}="${escapeAttr(replaceNonXmlChars(v))}"`;
  const inner = children.filter((c): c is string => typeof c === 'string').join('');
  return inner ? `${out}>${inner}</${name}>` : `${out}/>`;
}

/** Text content for x(): escaped, with characters XML cannot carry replaced (a reference like &#1; crashes clients). */
export function t(text: string): string {
  return escapeText(replaceNonXmlChars(text));
}
