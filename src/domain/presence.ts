// Fake presence and subscription state: what get_presence answers, with no I/O.
import { BadRequestError } from './errors.js';
import { bareJid, parseJid } from './jid.js';
import { parseJsonObject, rejectUnknownKeys } from './json-file.js';
import { validateStatus } from './validate.js';
import { isOneOf, PRESENCE_WORDS, presenceFromWord, SHOW_VALUES, type PresenceState, type Show } from './vocabulary.js';

const UNAVAILABLE: PresenceState = Object.freeze({ available: false, show: '', status: '' });

/** A presence entry as written in a presence file or in PUT /v1/presence/:jid. */
export function readPresenceEntry(value: unknown, where: string): PresenceState {
  if (typeof value === 'string') {
    const p = presenceFromWord(value);
    if (!p) throw new BadRequestError(`${where}: "${value}" is not one of ${PRESENCE_WORDS.join(', ')}`);
    return p;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new BadRequestError(`${where}: expected a word (available, away, ...) or an object {available, show?, status?}`);
  }
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!['available', 'show', 'status'].includes(k)) throw new BadRequestError(`${where}: unknown field "${k}" (expected available, show, status)`);
  }
  if (o.available !== undefined && typeof o.available !== 'boolean') throw new BadRequestError(`${where}.available must be true or false`);
  if (o.show !== undefined && !isOneOf(o.show, SHOW_VALUES)) {
    throw new BadRequestError(`${where}.show must be one of "", away, chat, dnd, xa`);
  }
  if (o.status !== undefined && typeof o.status !== 'string') throw new BadRequestError(`${where}.status must be a string`);
  const status = validateStatus(o.status as string | undefined, `${where}.status`) ?? '';
  const available = (o.available as boolean | undefined) ?? true;
  return available ? { available, show: (o.show as Show | undefined) ?? '', status } : { ...UNAVAILABLE, status };
}

export interface PresenceFixture {
  default: PresenceState | null;
  subscribed: string[];
  jids: Map<string, PresenceState>;
}

/** Parse a presence file's text. Throws BadRequestError naming the first thing wrong. */
export function parsePresenceFixture(text: string): PresenceFixture {
  const o = parseJsonObject(text, '');
  rejectUnknownKeys(o, ['default', 'subscribed', 'jids', '$schema', 'comment'], '', ['default', 'subscribed', 'jids']);
  let def: PresenceState | null = null;
  if (o.default !== undefined) {
    def = typeof o.default === 'string' ? presenceFromWord(o.default) : null;
    if (!def) throw new BadRequestError(`"default" must be one of ${PRESENCE_WORDS.join(', ')}`);
  }
  const subscribed: string[] = [];
  if (o.subscribed !== undefined) {
    if (!Array.isArray(o.subscribed)) throw new BadRequestError('"subscribed" must be a list of JIDs');
    o.subscribed.forEach((j, i) => subscribed.push(requireJid(j, `subscribed[${i}]`)));
  }
  const jids = new Map<string, PresenceState>();
  if (o.jids !== undefined) {
    if (o.jids === null || typeof o.jids !== 'object' || Array.isArray(o.jids)) throw new BadRequestError('"jids" must be an object of JID → presence');
    for (const [jid, entry] of Object.entries(o.jids as Record<string, unknown>)) {
      jids.set(requireJid(jid, `jids key "${jid}"`), readPresenceEntry(entry, `jids["${jid}"]`));
    }
  }
  return { default: def, subscribed, jids };
}

function requireJid(j: unknown, where: string): string {
  const r = parseJid(j);
  if (!r.ok) throw new BadRequestError(`${where} is not a valid JID: ${r.reason}`);
  return key(j as string);
}

function key(jid: string): string {
  return bareJid(jid).toLowerCase();
}

export interface PresenceListing {
  default: PresenceState;
  strict: boolean;
  jids: Array<PresenceState & { jid: string; subscribed: boolean; invited: boolean }>;
  /** real XMPP clients connected now, one per resource */
  connected?: ConnectedClient[];
}

export interface ConnectedClient {
  /** the full JID, with the bound resource */
  jid: string;
  transport: 'tcp' | 'websocket';
  /** null until the client sends presence, and after unavailable */
  show: string | null;
  status: string;
}

/** Resources remembered per JID; past this the least recently updated is forgotten (memory stays bounded). */
export const MAX_RESOURCES = 32;

/** Who is available, who is subscribed, who was invited. Keys are bare JIDs; a bare JID is available while any of its resources is. */
export class PresenceBook {
  private fromFile = new Map<string, PresenceState>();
  private fileDefault: PresenceState | null = null;
  private fileSubscribed = new Set<string>();
  private live = new Map<string, PresenceState>();
  /** per bare JID, each resource's own presence, least recently updated first */
  private resources = new Map<string, Map<string, PresenceState>>();
  private liveSubscribed = new Map<string, boolean>();
  private invited = new Set<string>();

  constructor(
    private readonly defaultPresence: PresenceState,
    readonly strict: boolean,
  ) {}

  /** Replace the file layer; what the file names now wins over earlier live changes to the same JIDs. */
  applyFixture(f: PresenceFixture): void {
    this.fromFile = new Map(f.jids);
    this.fileDefault = f.default;
    this.fileSubscribed = new Set(f.subscribed);
    for (const jid of f.jids.keys()) {
      this.live.delete(jid);
      this.resources.delete(jid);
    }
    for (const jid of f.subscribed) this.liveSubscribed.delete(jid);
  }

  /** A full JID sets that resource's presence; a bare JID sets the whole JID's (and forgets its resources). */
  set(jid: string, state: PresenceState): void {
    const k = key(jid);
    const parsed = parseJid(jid);
    const resource = parsed.ok ? parsed.jid.resource : null;
    if (!resource) {
      this.live.set(k, { ...state });
      this.resources.delete(k);
      return;
    }
    let byResource = this.resources.get(k);
    if (!byResource) this.resources.set(k, (byResource = new Map()));
    byResource.delete(resource);
    byResource.set(resource, { ...state });
    if (byResource.size > MAX_RESOURCES) byResource.delete(byResource.keys().next().value!);
  }

  /** A bare JID is available while any of its resources is (the most recently updated one speaks for it). */
  private liveState(k: string): PresenceState | undefined {
    const byResource = this.resources.get(k);
    if (!byResource?.size) return this.live.get(k);
    const states = [...byResource.values()].reverse();
    return states.find((s) => s.available) ?? states[0];
  }

  /**
   * Someone who writes to the app, or shares presence with it, has it on their roster: they count as subscribed,
   * unless they explicitly unsubscribed. True when this subscribed them.
   */
  noteContact(jid: string): boolean {
    const k = key(jid);
    if (this.liveSubscribed.get(k) !== undefined || this.fileSubscribed.has(k)) return false;
    this.liveSubscribed.set(k, true);
    return true;
  }

  setSubscribed(jid: string, subscribed: boolean): void {
    this.liveSubscribed.set(key(jid), subscribed);
  }

  markInvited(jid: string): void {
    this.invited.add(key(jid));
  }

  isSubscribed(jid: string): boolean {
    const k = key(jid);
    return this.liveSubscribed.get(k) ?? this.fileSubscribed.has(k);
  }

  isInvited(jid: string): boolean {
    return this.invited.has(key(jid));
  }

  /** What the service reports for a (valid) JID that is not the app's own. */
  lookup(jid: string): PresenceState {
    const k = key(jid);
    if (this.strict && !this.isSubscribed(k)) return { ...UNAVAILABLE };
    return { ...(this.liveState(k) ?? this.fromFile.get(k) ?? this.fileDefault ?? this.defaultPresence) };
  }

  list(): PresenceListing {
    const jids = new Set([
      ...this.fromFile.keys(),
      ...this.live.keys(),
      ...this.resources.keys(),
      ...this.fileSubscribed,
      ...this.liveSubscribed.keys(),
      ...this.invited,
    ]);
    return {
      default: { ...(this.fileDefault ?? this.defaultPresence) },
      strict: this.strict,
      jids: [...jids].sort().map((jid) => ({ jid, ...this.lookup(jid), subscribed: this.isSubscribed(jid), invited: this.isInvited(jid) })),
    };
  }
}

/** The listing for people, as `presence list` and the REPL's .who print it. */
export function describeListing(list: PresenceListing): string[] {
  return [
    `default: ${describePresence(list.default)}${list.strict ? ' (strict: only subscribed JIDs)' : ''}`,
    ...list.jids.map((j) => `  ${j.jid}: ${describePresence(j)}`),
    ...(list.connected ?? []).map((c) => `  connected ${c.jid}: ${describeClient(c)}`),
  ];
}

/** A connected client for people: `websocket, away "status"`. */
export function describeClient(c: Omit<ConnectedClient, 'jid'>): string {
  return `${c.transport}, ${c.show === null ? 'no presence sent' : c.show || 'available'}${c.status ? ` "${c.status}"` : ''}`;
}

/** One line for people: `available (away) "status" [subscribed] [invited]`. */
export function describePresence(p: PresenceState & { subscribed?: boolean; invited?: boolean }): string {
  const state = p.available ? `available${p.show ? ` (${p.show})` : ''}` : 'unavailable';
  return `${state}${p.status ? ` "${p.status}"` : ''}${p.subscribed ? ' [subscribed]' : ''}${p.invited ? ' [invited]' : ''}`;
}
