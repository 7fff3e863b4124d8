// One client's stream, whatever carries it: open, STARTTLS, SASL, restart, bind, then stanzas handed to the hub.
import { DEFAULT_NAMESPACE } from '../core/namespaces.js';
import { parseJid } from '../domain/jid.js';
import { randomHex, type Random } from '../domain/random.js';
import { NS, child, t, textOf, x, type Element } from './element.js';
import type { XmlSink } from './parser.js';

/** What carries a stream: a TCP socket (which can start TLS) or a WebSocket. */
export interface Transport {
  readonly kind: 'tcp' | 'websocket';
  /** whether credentials would travel encrypted (TLS, or a WebSocket on loopback) */
  secure(): boolean;
  /** write the reply to the client's stream header */
  openStream(attrs: Record<string, string>): void;
  send(xml: string): void;
  /** write the end of the stream and close the connection */
  closeStream(): void;
  /** the next bytes begin a new stream (after STARTTLS or SASL success) */
  restart(): void;
  /** only TCP: switch the socket to TLS after <proceed/> */
  startTls?(): void;
}

/** What a session asks of the server around it. */
export interface SessionHost {
  /** null when the credentials are good, else the reason they are not */
  checkPassword(bareJid: string, password: string): string | null;
  /** null when a session may join this namespace (it is created on first use), else the reason it may not */
  checkNamespace(name: string): string | null;
  /** claim a resource for this session; answers the full JID */
  bind(session: Session, resource: string | null): string;
  /** a stanza from a bound session */
  stanza(session: Session, el: Element): void;
  /** the session is over (socket closed, stream closed or failed) */
  ended(session: Session): void;
  handshakeTimeoutMs: number;
  /** stream and ping ids (seeded, so a seeded run repeats them) */
  random: Random;
}

export type StreamErrorCondition =
  | 'bad-format'
  | 'not-well-formed'
  | 'restricted-xml'
  | 'invalid-namespace'
  | 'host-unknown'
  | 'not-authorized'
  | 'policy-violation'
  | 'conflict'
  | 'unsupported-version'
  | 'invalid-from'
  | 'system-shutdown'
  | 'connection-timeout'
  | 'unsupported-stanza-type'
  | 'internal-server-error';

type State = 'opening' | 'auth' | 'bind' | 'bound' | 'closed';

const MAX_AUTH_FAILURES = 5;

/** A SASL authzid of this form joins a namespace: what programmatic clients (slixmpp, @xmpp/client, stanza) can set. */
export const NAMESPACE_AUTHZID = /^ns:(.*)$/s;

export class Session implements XmlSink {
  private state: State = 'opening';
  private opened = false;
  private tls = false;
  private domain = '';
  private user: { local: string; domain: string } | null = null;
  private authFailures = 0;
  /** the id of the server's unanswered XEP-0199 ping, if any */
  private pingId: string | null = null;
  private readonly timer: NodeJS.Timeout;
  /** the full JID once bound */
  jid: string | null = null;
  /** whose outbox, presence, faults and clock this session shares: from /ns/NAME/xmpp-websocket or an authzid ns:NAME */
  namespace: string;
  /** the last broadcast presence; null until the client sends its initial presence */
  presence: { show: string; status: string; priority: number } | null = null;

  constructor(
    readonly transport: Transport,
    private readonly host: SessionHost,
    /** the namespace the connection's URL names (/ns/NAME/xmpp-websocket), if any */
    private readonly urlNamespace?: string,
  ) {
    this.namespace = urlNamespace ?? DEFAULT_NAMESPACE;
    this.timer = setTimeout(
      () => this.streamError('connection-timeout', `the session was not established within ${host.handshakeTimeoutMs} ms`),
      host.handshakeTimeoutMs,
    );
    this.timer.unref();
  }

  get bound(): boolean {
    return this.state === 'bound';
  }

  get bare(): string | null {
    return this.user ? `${this.user.local}@${this.user.domain}` : null;
  }

  // ---- from the parser ---------------------------------------------------------------------------------

  onOpen(attrs: Record<string, string>): void {
    if (this.state === 'closed') return;
    const to = (attrs.to ?? '').toLowerCase().replace(/\.$/, '');
    this.replyOpen();
    if (attrs.version === undefined || !/^1\./.test(attrs.version)) return this.streamError('unsupported-version', 'only XMPP version 1.0 is spoken here');
    if (!to || !parseJid(`x@${to}`).ok) return this.streamError('host-unknown', `"${attrs.to ?? ''}" is not a domain this server can host`);
    if (this.user && to !== this.user.domain) return this.streamError('host-unknown', 'the domain changed after authentication');
    this.domain = to;
    if (this.user) {
      this.state = 'bind';
      this.features(x('bind', { xmlns: NS.bind }), x('session', { xmlns: NS.session }, x('optional')));
    } else if (this.transport.startTls && !this.tls) {
      this.state = 'auth';
      this.features(x('starttls', { xmlns: NS.tls }, x('required')));
    } else {
      this.state = 'auth';
      this.features(x('mechanisms', { xmlns: NS.sasl }, x('mechanism', {}, 'PLAIN')));
    }
  }

  onElement(el: Element): void {
    switch (this.state) {
      case 'closed':
        return; // frames after the client's own close are ignored (observed with stanza)
      case 'opening':
        return this.streamError('not-authorized', 'the stream is not open yet');
      case 'auth':
        return this.onAuthElement(el);
      case 'bind':
        return this.onBindElement(el);
      case 'bound':
        return this.onStanza(el);
    }
  }

  onClose(): void {
    if (this.state === 'closed') return;
    this.end();
    this.transport.closeStream();
  }

  onBadXml(condition: StreamErrorCondition, text: string): void {
    this.streamError(condition, text);
  }

  /** The connection is gone, with or without a closing handshake. */
  onDisconnect(): void {
    this.end();
  }

  // ---- to the client -----------------------------------------------------------------------------------

  send(xml: string): void {
    if (this.state !== 'closed') this.transport.send(xml);
  }

  /** A fatal stream error: the open reply first if none was sent (RFC 7395 §3.5), the error, then the close. */
  streamError(condition: StreamErrorCondition, text: string): void {
    if (this.state === 'closed') return;
    this.replyOpen();
    this.transport.send(x('stream:error', { 'xmlns:stream': NS.stream }, x(condition, { xmlns: NS.streams }), x('text', { xmlns: NS.streams }, t(text))));
    this.end();
    this.transport.closeStream();
  }

  /** XEP-0199 keepalive, called at each interval: a client that left the previous ping unanswered is gone. */
  keepalive(): void {
    if (this.state !== 'bound') return;
    if (this.pingId !== null) return this.streamError('connection-timeout', 'no answer to the last ping (XEP-0199)');
    this.pingId = `ping-${randomHex(this.host.random, 6)}`;
    this.send(x('iq', { xmlns: NS.client, type: 'get', id: this.pingId, from: this.domain, to: this.jid }, x('ping', { xmlns: NS.ping })));
  }

  // ---- steps of the handshake ------------------------------------------------------------------------------

  private replyOpen(): void {
    if (this.opened) return;
    this.opened = true;
    this.transport.openStream({ from: this.domain || 'localhost', id: randomHex(this.host.random, 16), version: '1.0', 'xml:lang': 'en' });
  }

  private features(...children: string[]): void {
    this.transport.send(x('stream:features', { 'xmlns:stream': NS.stream }, ...children));
  }

  private restart(): void {
    this.state = 'opening';
    this.opened = false;
    this.transport.restart();
  }

  private onAuthElement(el: Element): void {
    if (el.ns === NS.tls && el.local === 'starttls' && this.transport.startTls && !this.tls) {
      this.transport.send(x('proceed', { xmlns: NS.tls }));
      this.tls = true;
      this.restart();
      this.transport.startTls();
      return;
    }
    if (this.transport.startTls && !this.tls) return this.streamError('policy-violation', 'STARTTLS is required before anything else');
    if (el.ns === NS.sasl && el.local === 'abort') return this.saslFailure('aborted', 'authentication aborted');
    if (el.ns !== NS.sasl || el.local !== 'auth') return this.streamError('not-authorized', `<${el.local}> before authentication`);
    if (el.attrs.mechanism !== 'PLAIN') return this.saslFailure('invalid-mechanism', `mechanism ${el.attrs.mechanism ?? '(none)'} is not offered; use PLAIN`);
    const text = textOf(el).trim();
    const decoded = text === '' || text === '=' ? '' : Buffer.from(text, 'base64').toString('utf8');
    const parts = decoded.split('\0');
    if (parts.length !== 3) return this.saslFailure('incorrect-encoding', 'PLAIN expects base64 of authzid NUL authcid NUL password');
    const [authzid, authcid, password] = parts as [string, string, string];
    // authcid is the localpart (RFC 6120 §6.3.8); some clients send the bare JID. Clients may keep the case typed.
    const bare = (authcid.includes('@') ? authcid : `${authcid}@${this.domain}`).toLowerCase();
    const parsed = parseJid(bare);
    if (!parsed.ok || parsed.jid.resource !== null)
      return this.saslFailure('not-authorized', `"${authcid}" is not a valid user name: ${parsed.ok ? 'it has a resource' : parsed.reason}`);
    const joins = NAMESPACE_AUTHZID.exec(authzid);
    if (joins) {
      const name = joins[1]!;
      const refused =
        this.urlNamespace !== undefined && name !== this.urlNamespace
          ? `this connection is in namespace ${this.urlNamespace} (its URL says so), not ${name}`
          : this.host.checkNamespace(name);
      if (refused) return this.saslFailure('invalid-authzid', refused);
    } else if (authzid !== '' && authzid.toLowerCase() !== bare) {
      return this.saslFailure('invalid-authzid', `authzid ${authzid} is not ${bare} (to join a namespace, send ns:NAME)`);
    }
    const why = this.host.checkPassword(bare, password);
    if (why) return this.saslFailure('not-authorized', why);
    this.user = { local: parsed.jid.node, domain: parsed.jid.domain };
    if (joins) this.namespace = joins[1]!;
    this.transport.send(x('success', { xmlns: NS.sasl }));
    this.restart();
  }

  private saslFailure(condition: string, text: string): void {
    this.transport.send(x('failure', { xmlns: NS.sasl }, x(condition), x('text', { 'xml:lang': 'en' }, t(text))));
    if (++this.authFailures >= MAX_AUTH_FAILURES) this.streamError('policy-violation', `${MAX_AUTH_FAILURES} failed authentication attempts`);
  }

  private onBindElement(el: Element): void {
    const bind = isIq(el, 'set') ? child(el, 'bind', NS.bind) : undefined;
    if (!bind) {
      if (isIq(el)) return this.iqError(el, 'not-authorized', 'bind a resource first');
      return this.streamError('not-authorized', `<${el.local}> before resource binding`);
    }
    const wanted = textOf(child(bind, 'resource', NS.bind)).trim();
    let full: string;
    try {
      full = this.host.bind(this, wanted === '' ? null : wanted);
    } catch (e) {
      return this.iqError(el, 'bad-request', (e as Error).message);
    }
    this.jid = full;
    this.state = 'bound';
    clearTimeout(this.timer);
    this.transport.send(x('iq', { xmlns: NS.client, type: 'result', id: el.attrs.id }, x('bind', { xmlns: NS.bind }, x('jid', {}, t(full)))));
  }

  private onStanza(el: Element): void {
    // The legacy session iq (RFC 3921) is still sent by some clients; it is a no-op.
    if (isIq(el, 'set') && child(el, 'session', NS.session)) return this.send(x('iq', { xmlns: NS.client, type: 'result', id: el.attrs.id }));
    // Any answer to our ping, even an error from a client that does not know it, shows the client is there.
    if (isIq(el) && (el.attrs.type === 'result' || el.attrs.type === 'error') && el.attrs.id === this.pingId && this.pingId !== null) {
      this.pingId = null;
      return;
    }
    if (el.ns !== NS.client && el.ns !== '') return; // nonzas we never advertised (CSI, stream management): ignored
    if (!['message', 'presence', 'iq'].includes(el.local)) return this.streamError('unsupported-stanza-type', `<${el.local}> is not a stanza`);
    const from = el.attrs.from;
    if (from !== undefined && from !== this.jid && from.toLowerCase() !== this.bare) {
      return this.streamError('invalid-from', `from="${from}" is not this session's address ${this.jid}`);
    }
    // Stamp the sender: the app must never see a forged from.
    el.attrs.from = this.jid!;
    el.ns = NS.client;
    this.host.stanza(this, el);
  }

  /** An iq error reply (RFC 6120 §8.3) to a request from this client. */
  iqError(el: Element, condition: string, text: string, type = condition === 'service-unavailable' ? 'cancel' : 'modify'): void {
    this.send(
      x(
        'iq',
        { xmlns: NS.client, type: 'error', id: el.attrs.id, to: this.jid ?? undefined, from: el.attrs.to },
        x('error', { type }, x(condition, { xmlns: NS.stanzas }), x('text', { xmlns: NS.stanzas }, t(text))),
      ),
    );
  }

  private end(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.timer);
    this.host.ended(this);
  }
}

export function isIq(el: Element, type?: 'get' | 'set' | 'result' | 'error'): boolean {
  return el.local === 'iq' && (el.ns === NS.client || el.ns === '') && (type === undefined || el.attrs.type === type);
}
