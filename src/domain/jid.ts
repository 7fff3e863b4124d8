// JIDs: the service's own checks plus RFC 7622's, with no I/O.

export interface Jid {
  node: string;
  domain: string;
  /** null for a bare JID */
  resource: string | null;
}

export type JidResult = { ok: true; jid: Jid } | { ok: false; reason: string };

const MAX_PART_BYTES = 1023;
// The service refused these anywhere in the address.
const SERVICE_FORBIDDEN = /[,;()[\]]/;
// RFC 7622 (localpart): no " & ' / : < > @ or spaces; we also refuse controls.
const NODE_FORBIDDEN = /["&'/:<>@\s]/u;
// Controls and the code points XML 1.0 cannot carry, in any part (lone surrogates: isWellFormed, below).
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f\ufffe\uffff]/;
const DOMAIN_FORBIDDEN = /[\s"&'/:<>@\\]/u;

function bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

// The same few JIDs are parsed on every call (recipients, senders, loop-back checks): answers are remembered,
// frozen so no caller can change a shared one, for short inputs and a bounded number of them.
const remembered = new Map<string, JidResult>();
const REMEMBER_MAX = 4096;
const REMEMBER_LENGTH = 256;

export function parseJid(input: unknown): JidResult {
  if (typeof input !== 'string' || input.length > REMEMBER_LENGTH) return parseJidOnce(input);
  let r = remembered.get(input);
  if (r) return r;
  r = parseJidOnce(input);
  if (r.ok) Object.freeze(r.jid);
  if (remembered.size >= REMEMBER_MAX) remembered.clear();
  remembered.set(input, Object.freeze(r));
  return r;
}

function parseJidOnce(input: unknown): JidResult {
  if (typeof input !== 'string') return { ok: false, reason: 'a JID must be a string' };
  if (input.length === 0) return { ok: false, reason: 'the JID is empty' };
  if (input.length > 3 * (MAX_PART_BYTES + 1)) return { ok: false, reason: 'the JID is longer than 3071 bytes' };
  if (CONTROL.test(input) || !(input as string & { isWellFormed(): boolean }).isWellFormed())
    return { ok: false, reason: 'the JID contains a control character' };
  if (SERVICE_FORBIDDEN.test(input)) return { ok: false, reason: 'the JID contains one of , ; ( ) [ ]' };
  const at = input.split('@').length - 1;
  if (at !== 1) return { ok: false, reason: at === 0 ? 'the JID has no @' : 'the JID has more than one @' };
  const slash = input.indexOf('/');
  const bare = slash === -1 ? input : input.slice(0, slash);
  const resource = slash === -1 ? null : input.slice(slash + 1);
  if (resource !== null && resource.includes('/')) return { ok: false, reason: 'the JID has more than one /' };
  const [node, domain] = bare.split('@') as [string, string];
  if (slash !== -1 && slash < input.indexOf('@')) return { ok: false, reason: 'the @ must come before the resource' };
  if (node.length === 0) return { ok: false, reason: 'the JID has an empty node (nothing before @)' };
  if (domain.length === 0) return { ok: false, reason: 'the JID has an empty domain' };
  if (resource !== null && resource.length === 0) return { ok: false, reason: 'the JID has an empty resource after /' };
  if (NODE_FORBIDDEN.test(node)) return { ok: false, reason: `the node "${node}" contains a character RFC 7622 forbids (" & ' / : < > @ or space)` };
  if (DOMAIN_FORBIDDEN.test(domain)) return { ok: false, reason: `the domain "${domain}" is not a valid domain` };
  if (domain.startsWith('.') || domain.endsWith('..') || domain.includes('..')) return { ok: false, reason: `the domain "${domain}" has an empty label` };
  for (const [name, part] of [
    ['node', node],
    ['domain', domain],
    ['resource', resource ?? ''],
  ] as const) {
    if (bytes(part) > MAX_PART_BYTES) return { ok: false, reason: `the JID's ${name} is longer than ${MAX_PART_BYTES} bytes` };
  }
  return { ok: true, jid: { node, domain: domain.toLowerCase(), resource } };
}

/** The bare form of a JID string, lower-cased domain; the input unchanged if it does not parse. */
export function bareJid(input: string): string {
  const r = parseJid(input);
  return r.ok ? `${r.jid.node}@${r.jid.domain}` : input;
}
