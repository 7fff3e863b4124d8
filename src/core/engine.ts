// The engine: state (outbox, presence, quotas, enabled services), the one event stream, the service calls, and the
// ControlPort every in-process driver uses. No HTTP here.
import { EventEmitter } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import type { ControlPort, InboundError, InboundMessage, InboundPresence, InboundSubscription, PresenceInput, WaitOptions } from '../control/port.js';
import { DEFAULT_WAIT_MS } from '../control/port.js';
import { classifyAppAddress, resolveSender, routeInbound, type AppIdentity } from '../domain/addresses.js';
import type { XmppService } from '../domain/app-yaml.js';
import { InvalidJidError, TimeoutError } from '../domain/errors.js';
import { planError, planMessage, planPresence, planSubscription, type Plan } from '../domain/inbound.js';
import { parseJid } from '../domain/jid.js';
import { PresenceBook, readPresenceEntry, type ConnectedClient, type PresenceFixture, type PresenceListing } from '../domain/presence.js';
import { QuotaMeter } from '../domain/quotas.js';
import { messageStanzaBytes, presenceStanza } from '../domain/stanza.js';
import { validateGetPresence, validateSendInvite, validateSendMessage, validateSendPresence, readSingleJid, requireObject } from '../domain/validate.js';
import { isDeliverableMessageType, presenceFromWord, type InboundKind, type PresenceState } from '../domain/vocabulary.js';
import { INVALID_JID, NO_ERROR, type PresenceAnswer } from '../domain/wire.js';
import type { Options } from '../options.js';
import { joinUrl, postParts } from './deliver.js';
import type { DeliveryResult, EmulatorEvent, EventBody, EventListener, Exchange, OutboxEntry, XmppSessionEvent } from './events.js';
import { JSON_CALL, type CallContext } from './call-context.js';
import { buildInfo, type AppInfo, type Endpoints } from './info.js';
import { describeFilter, Outbox, type OutboxFilter, type OutboxStats } from './outbox.js';
import { TicketBook } from './tickets.js';
import type { EngineAnswer, EngineCall } from '../domain/xmpp-rpc.js';

export interface EngineStats {
  quotas: ReturnType<QuotaMeter['snapshot']>;
  outbox: OutboxStats;
  memory: { rss_bytes: number; heap_used_bytes: number };
}

export class Engine implements ControlPort {
  readonly app: AppIdentity;
  readonly outboxStore: Outbox;
  readonly presenceBook: PresenceBook;
  readonly quotas: QuotaMeter;
  private readonly bus = new EventEmitter();
  private readonly tickets = new TicketBook();
  private seq = 0;
  private enabled: XmppService[] | null = null;
  private endpoints: Endpoints | null = null;
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
  private closed = false;

  constructor(readonly options: Readonly<Options>) {
    this.app = { appId: options.appId, versions: Object.keys(options.versions) };
    this.outboxStore = new Outbox({ cap: options.outboxCap, maxBytes: options.outboxMaxBytes });
    this.presenceBook = new PresenceBook(presenceFromWord(options.defaultPresence)!, options.strictPresence);
    this.quotas = new QuotaMeter(options.quotas);
    this.bus.setMaxListeners(0);
  }

  // ---- the event stream -------------------------------------------------------------------------------

  onEvent(listener: EventListener): () => void {
    this.bus.on('event', listener);
    return () => this.bus.off('event', listener);
  }

  emit(body: EventBody): EmulatorEvent {
    if (body.type === 'xmpp.session') this.trackClient(body);
    const event = { ...body, seq: ++this.seq, time: new Date().toISOString() } as EmulatorEvent;
    this.bus.emit('event', event);
    return event;
  }

  // ---- real XMPP clients, as their sessions report themselves on the stream ------------------------------

  private readonly clients = new Map<string, ConnectedClient>();

  private trackClient({ state, jid, transport, show, status }: XmppSessionEvent): void {
    if (state === 'disconnected') this.clients.delete(jid);
    else this.clients.set(jid, { jid, transport, show, status });
  }

  /** Who is connected from a real XMPP client, one entry per resource. */
  xmppSessions(): ConnectedClient[] {
    return [...this.clients.values()].map((c) => ({ ...c }));
  }

  // ---- what it is ---------------------------------------------------------------------------------------

  /** Told once the server listens (start-up wiring), so info() can say where. */
  setEndpoints(endpoints: Endpoints): void {
    this.endpoints = endpoints;
  }

  info(): AppInfo {
    return buildInfo(this.options, this.app, this.enabled, this.endpoints);
  }

  stats(): EngineStats {
    const m = process.memoryUsage();
    return { quotas: this.quotas.snapshot(), outbox: this.outboxStore.stats(), memory: { rss_bytes: m.rss, heap_used_bytes: m.heapUsed } };
  }

  // ---- the ControlPort: what the developer drives, in-process (the control API and tests call these) ---------

  injectMessage(m: InboundMessage): Promise<DeliveryResult> {
    return this.inject('message', m);
  }
  injectPresence(p: InboundPresence): Promise<DeliveryResult> {
    return this.inject('presence', p);
  }
  injectSubscription(s: InboundSubscription): Promise<DeliveryResult> {
    return this.inject('subscription', s);
  }
  injectError(e: InboundError): Promise<DeliveryResult> {
    return this.inject('error', e);
  }

  /** Scanned in slices that yield, so a large outbox does not hold the event loop. */
  outbox(filter: OutboxFilter = {}, limit?: number): Promise<OutboxEntry[]> {
    return this.outboxStore.collect(filter, limit);
  }

  /** The first matching entry, stored or yet to come; a TimeoutError after timeoutMs, at shutdown, or when aborted. */
  async waitFor({ timeoutMs = DEFAULT_WAIT_MS, ...filter }: WaitOptions, signal?: AbortSignal): Promise<OutboxEntry> {
    const entry = await this.outboxStore.wait(filter, timeoutMs, signal);
    if (!entry) throw new TimeoutError(`no outbox entry matched ${describeFilter(filter)} within ${timeoutMs} ms`);
    return entry;
  }

  /** Forget what the app sent, and tell every surface. */
  async clearOutbox(): Promise<number> {
    const count = this.outboxStore.clear();
    this.emit({ type: 'outbox.cleared', count });
    return count;
  }

  /** What get_presence knows, and who is connected right now. */
  async listPresence(): Promise<PresenceListing> {
    return { ...this.presenceBook.list(), connected: this.xmppSessions() };
  }

  async lastOutboxId(): Promise<number> {
    return this.outboxStore.lastId;
  }

  /** PUT /v1/presence/:jid: a word (available, away, ...) or {available, show?, status?, subscribed?}. */
  async setPresence(jid: string, input: PresenceInput): Promise<PresenceState & { subscribed: boolean }> {
    const valid = readSingleJid({ jid }, 'jid');
    let subscribed: boolean | undefined;
    let entry = input;
    if (input !== null && typeof input === 'object' && !Array.isArray(input) && 'subscribed' in input) {
      const { subscribed: s, ...rest } = requireObject(input);
      if (typeof s !== 'boolean') throw new InvalidJidError('subscribed must be true or false');
      subscribed = s;
      entry = rest;
    }
    const state = readPresenceEntry(entry, 'presence');
    this.presenceBook.set(valid, state);
    if (subscribed !== undefined) this.presenceBook.setSubscribed(valid, subscribed);
    this.emitPresence(valid, 'api');
    return { ...this.presenceBook.lookup(valid), subscribed: this.presenceBook.isSubscribed(valid) };
  }

  // ---- configuration that can change while running ------------------------------------------------------

  /** null: no app.yaml, so every inbound service is enabled. */
  setInboundServices(services: XmppService[] | null): void {
    this.enabled = services === null ? null : [...services];
  }

  get inboundServices(): readonly XmppService[] | null {
    return this.enabled;
  }

  applyPresenceFixture(f: PresenceFixture): void {
    this.presenceBook.applyFixture(f);
  }

  // ---- the service API: what the app calls -------------------------------------------------------------

  /** X-AppEngine-Version names the calling version; only a configured non-default version rewrites senders. */
  private versionOf(ctx: CallContext): string | null {
    return ctx.version && this.app.versions.includes(ctx.version) ? ctx.version : null;
  }

  /** What every outbox entry records about the call that made it. */
  private origin(ctx: CallContext): { protocol: OutboxEntry['protocol']; in_reply_to: string | null } {
    return { protocol: ctx.protocol, in_reply_to: this.tickets.deliveryOf(ctx.ticket) };
  }

  sendMessage(input: unknown, ctx: CallContext = JSON_CALL): { statuses: number[]; entry: OutboxEntry } {
    this.quotas.chargeCall();
    const req = validateSendMessage(input);
    const version = this.versionOf(ctx);
    const from = resolveSender(req.fromJid, this.app, version);
    const statuses = req.jids.map((j) => (parseJid(j).ok ? NO_ERROR : INVALID_JID));
    const valid = req.jids.filter((_, i) => statuses[i] === NO_ERROR);
    if (valid.length === 0) {
      throw new InvalidJidError(req.single ? `jids "${req.jids[0]}" is not a valid JID: ${reasonOf(req.jids[0]!)}` : 'no JID in jids is valid');
    }
    const bytes = messageStanzaBytes({ from, to: valid[0]!, type: req.messageType, body: req.body, rawXml: req.rawXml }, req.bodyBytes);
    this.quotas.chargeMessage(valid.length, bytes);
    const entry = this.outboxStore.add({
      time: new Date().toISOString(),
      kind: 'message',
      from,
      to: req.jids,
      body: req.body,
      type: req.messageType,
      raw_xml: req.rawXml,
      statuses,
      version,
      ...this.origin(ctx),
    });
    this.emit({ type: 'sent', entry });
    this.loopBack(entry, valid);
    return { statuses, entry };
  }

  /** A message the app sends to one of its own addresses comes back to it as an inbound message. */
  private loopBack(entry: OutboxEntry, recipients: string[]): void {
    if (entry.raw_xml || !isDeliverableMessageType(entry.type ?? '')) return;
    for (const to of recipients) {
      const r = parseJid(to);
      if (!r.ok || classifyAppAddress(r.jid, this.app.appId) === null || !routeInbound(to, this.app).ok) continue;
      void this.inject('message', { from: entry.from, to, body: entry.body, type: entry.type }, true);
    }
  }

  sendInvite(input: unknown, ctx: CallContext = JSON_CALL): OutboxEntry {
    this.quotas.chargeCall();
    const req = validateSendInvite(input);
    const from = resolveSender(req.fromJid, this.app, this.versionOf(ctx));
    this.quotas.chargeInvite(Buffer.byteLength(presenceStanza({ from, to: req.jid, type: 'subscribe' }), 'utf8'));
    this.presenceBook.markInvited(req.jid);
    const entry = this.outboxStore.add({ time: new Date().toISOString(), kind: 'invite', from, to: [req.jid], version: this.versionOf(ctx), ...this.origin(ctx) });
    this.emit({ type: 'sent', entry });
    this.emitPresence(req.jid, 'invite');
    return entry;
  }

  getPresence(input: unknown, ctx: CallContext = JSON_CALL): { presence: PresenceAnswer[] } {
    this.quotas.chargeCall();
    const req = validateGetPresence(input);
    resolveSender(req.fromJid, this.app, this.versionOf(ctx));
    const presence = req.jids.map((jid): PresenceAnswer => {
      const r = parseJid(jid);
      if (!r.ok) return { jid, valid: false, available: false, show: '', status: '' };
      // The app itself always reads as available.
      if (classifyAppAddress(r.jid, this.app.appId) !== null) return { jid, valid: true, available: true, show: '', status: '' };
      return { jid, valid: true, ...this.presenceBook.lookup(jid) };
    });
    if (!presence.some((p) => p.valid)) {
      throw new InvalidJidError(req.single ? `jid "${req.jids[0]}" is not a valid JID: ${reasonOf(req.jids[0]!)}` : 'no JID in jid is valid');
    }
    return { presence };
  }

  sendPresence(input: unknown, ctx: CallContext = JSON_CALL): OutboxEntry {
    this.quotas.chargeCall();
    const req = validateSendPresence(input);
    const version = this.versionOf(ctx);
    const from = resolveSender(req.fromJid, this.app, version);
    const entry = this.outboxStore.add({
      time: new Date().toISOString(),
      kind: 'presence',
      from,
      to: [req.jid],
      type: req.presenceType,
      show: req.presenceShow,
      status: req.status ?? '',
      version,
      ...this.origin(ctx),
    });
    this.emit({ type: 'sent', entry });
    return entry;
  }

  /** One of the four service calls by its JSON API name, for the protocols that dispatch by name. */
  call(name: EngineCall, input: unknown, ctx: CallContext): EngineAnswer {
    switch (name) {
      case 'send_message':
        return { statuses: this.sendMessage(input, ctx).statuses };
      case 'get_presence':
        return { presence: this.getPresence(input, ctx).presence };
      case 'send_invite':
        this.sendInvite(input, ctx);
        return {};
      case 'send_presence':
        this.sendPresence(input, ctx);
        return {};
    }
  }

  private emitPresence(jid: string, source: 'api' | 'inbound' | 'invite'): void {
    this.emit({ type: 'presence', jid, presence: this.presenceBook.lookup(jid), subscribed: this.presenceBook.isSubscribed(jid), source });
  }

  // ---- inbound: the developer injects, the app receives -------------------------------------------------

  /** Plan, update presence state, POST to the app, and report. Bad input throws a coded error. */
  inject(kind: InboundKind, input: unknown, loopback = false): Promise<DeliveryResult> {
    const ctx = { app: this.app, enabled: this.enabled };
    const plan: Plan =
      kind === 'message' ? planMessage(input, ctx)
      : kind === 'presence' ? planPresence(input, ctx)
      : kind === 'subscription' ? planSubscription(input, ctx)
      : planError(input, ctx);
    this.applyInboundState(plan);
    const task = this.deliver(plan, loopback);
    this.inflight.add(task);
    void task.finally(() => this.inflight.delete(task));
    return task;
  }

  /** Presence and subscriptions change what get_presence answers, whether or not the app takes the POST. */
  private applyInboundState({ delivery: d }: Plan): void {
    if (d.kind === 'presence' && d.type !== 'probe') {
      const available = d.type === 'available';
      this.presenceBook.set(d.from, { available, show: available ? ((d.show ?? '') as PresenceState['show']) : '', status: d.status ?? '' });
      this.emitPresence(d.from, 'inbound');
    } else if (d.kind === 'subscription') {
      // The app accepts every invitation, so subscribe and subscribed both leave the JID subscribed.
      this.presenceBook.setSubscribed(d.from, d.type === 'subscribe' || d.type === 'subscribed');
      this.emitPresence(d.from, 'inbound');
    }
  }

  private async deliver(plan: Plan, loopback: boolean): Promise<DeliveryResult> {
    const d = plan.delivery;
    const id = this.tickets.issue();
    const base: Omit<DeliveryResult, 'delivered' | 'status' | 'duration_ms' | 'url'> = {
      id, kind: d.kind, type: d.type, from: d.from, to: d.to, path: d.path, version: d.version,
      ...(d.body !== undefined ? { body: d.body } : {}),
      ...(loopback ? { loopback } : {}),
    };
    let result: DeliveryResult;
    let exchange: Exchange | undefined;
    if (!plan.deliver) {
      result = { ...base, url: null, delivered: false, status: null, reason: plan.reason, duration_ms: 0 };
    } else {
      const appUrl = d.version === null ? this.options.appUrl : this.options.versions[d.version]!;
      const url = joinUrl(appUrl, d.path);
      this.quotas.chargeIncoming(Buffer.byteLength(d.stanza, 'utf8'));
      const outcome = this.closed
        ? { status: null, reason: 'the emulator is shutting down', durationMs: 0 }
        : await postParts(url, d.parts, { 'X-AppEngine-API-Ticket': id, 'X-Appengine-Dev-Request-Id': id }, this.options.deliveryTimeoutMs, this.agents);
      const delivered = outcome.status !== null && outcome.status >= 200 && outcome.status < 300;
      result = { ...base, url, delivered, status: outcome.status, duration_ms: outcome.durationMs, ...(outcome.reason ? { reason: outcome.reason } : {}) };
      exchange = outcome.exchange;
    }
    this.emit({ type: 'delivered', result, ...(exchange ? { exchange } : {}) });
    return result;
  }

  /** Stop new deliveries, let in-flight ones finish (each bounded by the delivery timeout), release waiters. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inflight]);
    this.outboxStore.close();
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}

function reasonOf(jid: string): string {
  const r = parseJid(jid);
  return r.ok ? 'valid' : r.reason;
}
