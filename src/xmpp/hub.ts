// The server around the sessions: who is connected (bare JID → resources, per namespace), and where each stanza
// goes: to the app through the engine of the session's namespace (the same path as the HTTP injections), to another
// user connected in the same namespace, or answered here. App → user traffic arrives as `sent` events on the one
// stream, each routed to the sessions of its namespace.
import { classifyAppAddress, defaultAppJid } from '../domain/addresses.js';
import { isUserMistake } from '../domain/errors.js';
import { bareJid, parseJid } from '../domain/jid.js';
import { messageStanza } from '../domain/stanza.js';
import { MAX_STATUS_LENGTH } from '../domain/validate.js';
import { deriveSeed, randomHex, seededRandom, type Random } from '../domain/random.js';
import { replaceNonXmlChars } from '../domain/xml.js';
import type { Engine } from '../core/engine.js';
import { checkNamespace, DEFAULT_NAMESPACE } from '../core/namespaces.js';
import type { EventBody, OutboxEntry } from '../core/events.js';
import { SHOW_VALUES, SUBSCRIPTION_TYPES, type InboundKind } from '../domain/vocabulary.js';
import type { ConnectedClient } from '../domain/presence.js';
import { NS, child, serialize, t, textOf, x, type Element } from './element.js';
import { Session, type SessionHost, type Transport } from './session.js';

// App Engine refused these in a JID (and '@' or '/' twice): a resource holding one would make the app's replies fail.
// eslint-disable-next-line no-control-regex -- control characters are exactly what must not reach a resource
const RESOURCE_UNSAFE = /[,;()[\]@/\u0000-\u001f\u007f]/g;

export interface HubOptions {
  /** bare JID → password; null: any password is accepted */
  users: ReadonlyMap<string, string> | null;
  handshakeTimeoutMs: number;
  /** XEP-0199 keepalive interval */
  pingIntervalMs: number;
  maxSessions: number;
}

type Target = { kind: 'server' } | { kind: 'app'; jid: string } | { kind: 'user'; bare: string; resource: string | null } | { kind: 'invalid' };

export class XmppHub implements SessionHost {
  /** namespace and bare JID (see `key`) → resource → session */
  private readonly byBare = new Map<string, Map<string, Session>>();
  private readonly all = new Set<Session>();
  private readonly off: () => void;
  private readonly pinger: NodeJS.Timeout;
  private presenceSeq = 0;
  private readonly presenceAt = new WeakMap<Session, number>();
  /** bodiless messages (chat states, receipts) from clients: not delivered, as production ignored them */
  bodiless = 0;
  readonly handshakeTimeoutMs: number;
  /** generated resources, stream ids and ping ids: from the run's seed, so a seeded run repeats them */
  readonly random: Random;

  constructor(
    private readonly engine: Engine,
    private readonly opts: HubOptions,
  ) {
    this.handshakeTimeoutMs = opts.handshakeTimeoutMs;
    this.random = seededRandom(deriveSeed(engine.space.seed, 'xmpp'));
    this.off = engine.onEvent((e) => {
      if (e.type === 'sent') this.fromApp(e.entry, e.namespace ?? DEFAULT_NAMESPACE);
    });
    this.pinger = setInterval(() => this.all.forEach((s) => s.keepalive()), opts.pingIntervalMs);
    this.pinger.unref();
  }

  /** A new connection's session (in a namespace, from /ns/NAME/xmpp-websocket), or null when the server is full. */
  admit(transport: Transport, namespace?: string): Session | null {
    if (this.all.size >= this.opts.maxSessions) return null;
    const s = new Session(transport, this, namespace);
    this.all.add(s);
    return s;
  }

  get size(): number {
    return this.all.size;
  }

  /** Tell every client the emulator is going away. */
  close(): void {
    this.off();
    clearInterval(this.pinger);
    for (const s of [...this.all]) s.streamError('system-shutdown', 'the emulator is stopping');
  }

  // ---- SessionHost -------------------------------------------------------------------------------------

  checkNamespace(name: string): string | null {
    try {
      this.engine.inNamespace(checkNamespace(name));
      return null;
    } catch (e) {
      return (e as Error).message;
    }
  }

  checkPassword(bare: string, password: string): string | null {
    if (!this.opts.users) return null;
    const wanted = this.opts.users.get(bare);
    if (wanted === undefined) return `${bare} is not in the users file`;
    return wanted === password ? null : `wrong password for ${bare}`;
  }

  bind(session: Session, wanted: string | null): string {
    const bare = session.bare!;
    const resources = this.byBare.get(key(session.namespace, bare)) ?? new Map<string, Session>();
    let resource = (wanted ?? '').replace(RESOURCE_UNSAFE, '-').trim() || `xmpp-emu-${randomHex(this.random, 4)}`;
    if (Buffer.byteLength(resource) > 1023) throw new Error('the resource is longer than 1023 bytes');
    // A resource already in use gets a suffix rather than cutting off the older session.
    while (resources.has(resource)) resource = `${resource}-${randomHex(this.random, 2)}`;
    const full = `${bare}/${resource}`;
    if (!parseJid(full).ok) throw new Error(`${full} is not a valid JID`);
    resources.set(resource, session);
    this.byBare.set(key(session.namespace, bare), resources);
    session.jid = full;
    // A person chatting from a client has the app in their roster: they count as subscribed.
    const { presenceBook } = this.engineOf(session);
    if (!presenceBook.isSubscribed(bare)) presenceBook.setSubscribed(bare, true);
    this.emitSession(session, 'connected');
    return full;
  }

  ended(session: Session): void {
    this.all.delete(session);
    if (!session.jid) return;
    const bare = session.bare!;
    const resources = this.byBare.get(key(session.namespace, bare));
    resources?.delete(resourceOf(session.jid));
    if (resources?.size === 0) this.byBare.delete(key(session.namespace, bare));
    // A client that vanishes without unavailable presence is made unavailable by the server (RFC 6121 §4.5.2).
    if (session.presence) this.broadcastPresence(session, 'unavailable', null);
    this.emitSession(session, 'disconnected');
  }

  stanza(session: Session, el: Element): void {
    if (el.local === 'iq') return this.iq(session, el);
    if (el.local === 'message') return this.message(session, el);
    return this.presence(session, el);
  }

  // ---- from a client -------------------------------------------------------------------------------------

  private target(to: string | undefined): Target {
    if (to === undefined || to === '' || !to.includes('@')) return { kind: 'server' };
    const r = parseJid(to);
    if (!r.ok) return { kind: 'invalid' };
    if (classifyAppAddress(r.jid, this.engine.app.appId) !== null) return { kind: 'app', jid: to };
    const bare = `${r.jid.node.toLowerCase()}@${r.jid.domain}`;
    return { kind: 'user', bare, resource: r.jid.resource };
  }

  private iq(s: Session, el: Element): void {
    const type = el.attrs.type;
    const to = this.target(el.attrs.to);
    if (type === 'result' || type === 'error') {
      if (to.kind === 'user' && to.resource !== null) this.byBare.get(key(s.namespace, to.bare))?.get(to.resource)?.send(serialize(el));
      return;
    }
    if (type !== 'get' && type !== 'set') return s.iqError(el, 'bad-request', 'an iq needs type get or set');
    const payload = el.children.find((c): c is Element => typeof c !== 'string');
    const result = (...children: string[]): void =>
      s.send(x('iq', { xmlns: NS.client, type: 'result', id: el.attrs.id, to: s.jid, from: el.attrs.to }, ...children));
    if (!payload) return s.iqError(el, 'bad-request', 'an iq get or set needs one child element');
    if (payload.ns === NS.ping) return result();
    const toSelf = to.kind === 'server' || (to.kind === 'user' && to.bare === s.bare && to.resource === null);
    if (toSelf && payload.ns === NS.roster) return type === 'get' ? result(this.roster(s)) : result();
    if ((toSelf || to.kind === 'app') && payload.ns === NS.discoInfo && type === 'get') {
      const identity =
        to.kind === 'app'
          ? x('identity', { category: 'client', type: 'bot', name: this.engine.app.appId })
          : x('identity', { category: 'server', type: 'im', name: 'xmpp-emu' });
      return result(x('query', { xmlns: NS.discoInfo }, identity, ...[NS.discoInfo, NS.ping].map((v) => x('feature', { var: v }))));
    }
    if (toSelf && payload.ns === NS.discoItems && type === 'get') return result(x('query', { xmlns: NS.discoItems }));
    if (to.kind === 'user' && to.resource !== null) {
      const peer = this.byBare.get(key(s.namespace, to.bare))?.get(to.resource);
      if (peer) return peer.send(serialize(el));
    }
    s.iqError(el, 'service-unavailable', `xmpp-emu does not serve <${payload.local} xmlns="${payload.ns}"> here`);
  }

  private roster(s: Session): string {
    const bare = s.bare!;
    const { presenceBook } = this.engineOf(s);
    const subscribed = !presenceBook.strict || presenceBook.isSubscribed(bare);
    const app = defaultAppJid(this.engine.app.appId);
    return x('query', { xmlns: NS.roster }, subscribed ? x('item', { jid: app, subscription: 'both', name: this.engine.app.appId }) : null);
  }

  private message(s: Session, el: Element): void {
    const to = this.target(el.attrs.to);
    const type = el.attrs.type ?? 'normal';
    const body = child(el, 'body');
    if (to.kind === 'app') {
      if (type === 'error') return this.inject(s, el, 'error', { from: s.jid, to: to.jid, stanza: serialize(el) });
      // Chat states, receipts and markers carry no body; production never delivered them.
      if (!body) return void this.bodiless++;
      return this.inject(s, el, 'message', { from: s.jid, to: to.jid, body: textOf(body), type }, serialize(el));
    }
    if (to.kind === 'user') {
      const peers = this.sessionsFor(s.namespace, to.bare, to.resource, type === 'chat' || type === 'normal');
      if (peers.length) return peers.forEach((p) => p.send(serialize(el)));
    }
    if (to.kind === 'server') return;
    if (type === 'chat' || type === 'normal') this.stanzaError(s, el, 'service-unavailable', `${el.attrs.to} is not connected to xmpp-emu`);
  }

  private presence(s: Session, el: Element): void {
    const type = el.attrs.type ?? '';
    const to = this.target(el.attrs.to);
    if (to.kind === 'server') {
      if (type === '' || type === 'unavailable') this.broadcastPresence(s, type === '' ? 'available' : 'unavailable', el);
      return;
    }
    if (to.kind === 'app') {
      const app = bareJid(to.jid);
      if ((SUBSCRIPTION_TYPES as readonly string[]).includes(type)) {
        // App Engine accepted every subscription on the app's behalf, then told the app.
        this.inject(s, el, 'subscription', { from: s.bare, to: app, type }, withAttrs(el, { from: s.bare! }));
        if (type === 'subscribe') {
          s.send(x('presence', { xmlns: NS.client, type: 'subscribed', from: app, to: s.bare }));
          s.send(this.appPresence(s.jid!));
        } else if (type === 'unsubscribe') {
          s.send(x('presence', { xmlns: NS.client, type: 'unsubscribed', from: app, to: s.bare }));
        }
        return;
      }
      if (type === 'probe') return s.send(this.appPresence(s.jid!, to.jid));
      if (type === '' || type === 'unavailable') {
        this.inject(s, el, 'presence', { from: s.jid, to: to.jid, type: type || 'available', ...this.showStatus(el) }, serialize(el));
      }
      return;
    }
    if (to.kind === 'user') {
      // Subscription stanzas carry bare addresses (RFC 6121 §3).
      if ((SUBSCRIPTION_TYPES as readonly string[]).includes(type)) el.attrs.from = s.bare!;
      for (const p of this.sessionsFor(s.namespace, to.bare, to.resource, true)) p.send(serialize(el));
    }
  }

  /** Available or unavailable broadcast presence: remembered, echoed to the user's resources, told to the app. */
  private broadcastPresence(s: Session, type: 'available' | 'unavailable', el: Element | null): void {
    const first = s.presence === null;
    const { show, status } = el ? this.showStatus(el) : { show: '', status: '' };
    const priority = Number.parseInt(textOf(el ? child(el, 'priority') : undefined) || '0', 10) || 0;
    s.presence = type === 'available' ? { show, status, priority } : null;
    this.presenceAt.set(s, ++this.presenceSeq);
    const echo = x(
      'presence',
      { xmlns: NS.client, from: s.jid, type: type === 'unavailable' ? 'unavailable' : undefined },
      show ? x('show', {}, show) : null,
      status ? x('status', {}, t(status)) : null,
    );
    for (const peer of this.byBare.get(key(s.namespace, s.bare!))?.values() ?? []) peer.send(echo);
    if (type === 'available' && first) s.send(this.appPresence(s.jid!));
    if (el) this.emitSession(s, 'presence');
    const app = defaultAppJid(this.engine.app.appId);
    // A broadcast presence reaches the app addressed to it; a synthesized unavailable (el null) is built from the fields.
    this.inject(
      s,
      el,
      'presence',
      { from: s.jid, to: app, type, ...(type === 'available' ? { show, status } : {}) },
      el ? withAttrs(el, { to: app }) : undefined,
    );
    this.settleAggregate(s.namespace, s.bare!);
  }

  /**
   * get_presence answers for a bare JID: available when any resource is, with the show of the highest-priority
   * (then most recent) one. The engine set it from the resource that just spoke; correct it when others differ.
   */
  private settleAggregate(namespace: string, bare: string): void {
    const speaking = [...(this.byBare.get(key(namespace, bare))?.values() ?? [])].filter((p) => p.presence !== null);
    if (speaking.length === 0) return;
    speaking.sort((a, b) => b.presence!.priority - a.presence!.priority || (this.presenceAt.get(b) ?? 0) - (this.presenceAt.get(a) ?? 0));
    const top = speaking[0]!.presence!;
    const engine = this.engine.inNamespace(namespace);
    const now = engine.presenceBook.lookup(bare);
    if (now.available && now.show === top.show && now.status === top.status) return;
    void engine.setPresence(bare, { available: true, show: top.show, status: top.status }).catch(() => undefined);
  }

  private showStatus(el: Element): { show: string; status: string } {
    const show = textOf(child(el, 'show')).trim();
    return { show: (SHOW_VALUES as readonly string[]).includes(show) ? show : '', status: textOf(child(el, 'status')).slice(0, MAX_STATUS_LENGTH) };
  }

  /** The app always reads as available (App Engine answered for it). */
  private appPresence(to: string, from = `${defaultAppJid(this.engine.app.appId)}/bot`): string {
    return x('presence', { xmlns: NS.client, from, to });
  }

  /** Hand a client's stanza to the engine, as the HTTP injections do; a refusal goes back as a stanza error: bad
   * input as bad-request, anything else (a transcript that cannot be written, a failed delivery) as
   * internal-server-error, never an unhandled rejection. */
  private inject(s: Session, el: Element | null, kind: InboundKind, input: Record<string, unknown>, stanza?: string): void {
    const refuse = (e: unknown): void => {
      if (el) this.stanzaError(s, el, isUserMistake(e) ? 'bad-request' : 'internal-server-error', (e as Error).message);
    };
    try {
      this.engineOf(s).inject(kind, input, 0, stanza).catch(refuse);
    } catch (e) {
      refuse(e);
    }
  }

  private stanzaError(s: Session, el: Element, condition: string, text: string): void {
    if (el.attrs.type === 'error') return;
    if (el.local === 'iq') return s.iqError(el, condition, text);
    s.send(
      x(
        el.local,
        { xmlns: NS.client, type: 'error', id: el.attrs.id, from: el.attrs.to, to: s.jid },
        x(
          'error',
          { type: condition === 'service-unavailable' || condition === 'internal-server-error' ? 'cancel' : 'modify' },
          x(condition, { xmlns: NS.stanzas }),
          x('text', { xmlns: NS.stanzas }, t(text)),
        ),
      ),
    );
  }

  // ---- from the app ---------------------------------------------------------------------------------------

  /**
   * A bare JID reaches every connected resource (App Engine "sends it to all of the user's clients"); a full JID
   * reaches that resource, or, when it is gone and `fallBack`, every resource.
   */
  private sessionsFor(namespace: string, bare: string, resource: string | null, fallBack: boolean): Session[] {
    const resources = this.byBare.get(key(namespace, bare));
    if (!resources) return [];
    if (resource !== null) {
      const one = resources.get(resource);
      if (one) return [one];
      if (!fallBack) return [];
    }
    return [...resources.values()];
  }

  private recipients(namespace: string, jid: string, fallBack: boolean): Session[] {
    const r = parseJid(jid);
    if (!r.ok) return [];
    return this.sessionsFor(namespace, `${r.jid.node.toLowerCase()}@${r.jid.domain}`, r.jid.resource, fallBack);
  }

  private fromApp(entry: OutboxEntry, namespace: string): void {
    // Nobody connected, nothing to route: the app's send path pays nothing for XMPP clients that are not there.
    if (this.all.size === 0) return;
    entry.to.forEach((to, i) => {
      if (entry.statuses && entry.statuses[i] !== 0) return;
      if (entry.kind === 'message') {
        const type = entry.type ?? 'chat';
        const sessions = this.recipients(namespace, to, type === 'chat');
        if (sessions.length === 0) return;
        const xml = messageStanza({
          from: entry.from,
          to,
          type,
          body: entry.raw_xml ? (entry.body ?? '') : replaceNonXmlChars(entry.body ?? ''),
          rawXml: entry.raw_xml,
        });
        for (const s of sessions) s.send(xml);
      } else if (entry.kind === 'invite') {
        // An invitation is a subscription request the client can accept.
        const xml = x('presence', { xmlns: NS.client, type: 'subscribe', from: bareJid(entry.from), to: bareJid(to) });
        for (const s of this.recipients(namespace, bareJid(to), false)) s.send(xml);
      } else if (entry.type === 'probe') {
        // A probe is answered by the server from what it knows, never shown to the client (RFC 6121 §4.3).
        for (const s of this.recipients(namespace, bareJid(to), false)) {
          if (s.presence)
            this.inject(s, null, 'presence', { from: s.jid, to: entry.from, type: 'available', show: s.presence.show, status: s.presence.status });
        }
      } else {
        const xml = x(
          'presence',
          { xmlns: NS.client, from: entry.from, to, type: entry.type || undefined },
          entry.show ? x('show', {}, t(entry.show)) : null,
          entry.status ? x('status', {}, t(entry.status)) : null,
        );
        for (const s of this.recipients(namespace, to, true)) s.send(xml);
      }
    });
  }

  // ---- telling the other surfaces ---------------------------------------------------------------------------

  private info(s: Session): ConnectedClient {
    return { jid: s.jid!, transport: s.transport.kind, show: s.presence ? s.presence.show : null, status: s.presence?.status ?? '' };
  }

  private emitSession(s: Session, state: 'connected' | 'presence' | 'disconnected'): void {
    const body: EventBody = { type: 'xmpp.session', state, ...this.info(s) };
    this.engineOf(s).emit(body);
  }

  /** The engine of a session's namespace (created again if it was deleted meanwhile). */
  private engineOf(s: Session): Engine {
    return this.engine.inNamespace(s.namespace);
  }
}

/** The registry's key: users of different namespaces never meet. */
function key(namespace: string, bare: string): string {
  return `${namespace} ${bare}`;
}

/** The stanza as the client sent it, with some attributes set by the server. */
function withAttrs(el: Element, attrs: Record<string, string>): string {
  return serialize({ ...el, attrs: { ...el.attrs, ...attrs } });
}

function resourceOf(full: string): string {
  return full.slice(full.indexOf('/') + 1);
}
