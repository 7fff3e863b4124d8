// The engine: state (outbox, presence, quotas, enabled services) and the one event stream. No HTTP here.
import { EventEmitter } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import { classifyAppAddress, resolveSender, routeInbound, type AppIdentity } from '../domain/addresses.js';
import type { XmppService } from '../domain/app-yaml.js';
import { InvalidJidError } from '../domain/errors.js';
import { planError, planMessage, planPresence, planSubscription, type InboundKind, type Plan } from '../domain/inbound.js';
import { parseJid } from '../domain/jid.js';
import { PresenceBook, presenceFromWord, readPresenceEntry, type PresenceFixture, type PresenceState } from '../domain/presence.js';
import { QuotaMeter } from '../domain/quotas.js';
import { messageStanza, presenceStanza } from '../domain/stanza.js';
import { validateGetPresence, validateSendInvite, validateSendMessage, validateSendPresence, readSingleJid, requireObject } from '../domain/validate.js';
import type { Options } from '../options.js';
import { joinUrl, postParts } from './deliver.js';
import type { DeliveryResult, EmulatorEvent, EventBody, EventListener, OutboxEntry } from './events.js';
import { Outbox } from './outbox.js';
import { JSON_CALL, type CallContext } from './call-context.js';
import { TicketBook } from './tickets.js';

export const NO_ERROR = 0;
export const INVALID_JID = 1;
export const OTHER_ERROR = 2;

export interface PresenceAnswer {
  jid: string;
  valid: boolean;
  available: boolean;
  show: string;
  status: string;
}

export class Emulator {
  readonly app: AppIdentity;
  readonly outbox: Outbox;
  readonly presence: PresenceBook;
  readonly quotas: QuotaMeter;
  private readonly bus = new EventEmitter();
  private readonly tickets = new TicketBook();
  private seq = 0;
  private enabled: XmppService[] | null = null;
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
  private closed = false;

  constructor(readonly options: Readonly<Options>) {
    this.app = { appId: options.appId, versions: Object.keys(options.versions) };
    this.outbox = new Outbox({ cap: options.outboxCap, maxBytes: options.outboxMaxBytes });
    this.presence = new PresenceBook(presenceFromWord(options.defaultPresence)!, options.strictPresence);
    this.quotas = new QuotaMeter(options.quotas);
    this.bus.setMaxListeners(0);
  }

  // ---- the event stream -------------------------------------------------------------------------------

  on(listener: EventListener): () => void {
    this.bus.on('event', listener);
    return () => this.bus.off('event', listener);
  }

  emit(body: EventBody): EmulatorEvent {
    const event = { ...body, seq: ++this.seq, time: new Date().toISOString() } as EmulatorEvent;
    this.bus.emit('event', event);
    return event;
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
    this.presence.applyFixture(f);
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

  sendMessage(input: unknown, ctx: CallContext = JSON_CALL): { statuses: number[]; single: boolean; entry: OutboxEntry } {
    this.quotas.chargeCall();
    const req = validateSendMessage(input);
    const version = this.versionOf(ctx);
    const from = resolveSender(req.fromJid, this.app, version);
    const statuses = req.jids.map((j) => (parseJid(j).ok ? NO_ERROR : INVALID_JID));
    const valid = req.jids.filter((_, i) => statuses[i] === NO_ERROR);
    if (valid.length === 0) {
      throw new InvalidJidError(req.single ? `jids "${req.jids[0]}" is not a valid JID: ${reasonOf(req.jids[0]!)}` : 'no JID in jids is valid');
    }
    const bytes = Buffer.byteLength(messageStanza({ from, to: valid[0]!, type: req.messageType, body: req.body, rawXml: req.rawXml }), 'utf8');
    this.quotas.chargeMessage(valid.length, bytes);
    const entry = this.outbox.add({
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
    return { statuses, single: req.single, entry };
  }

  /** A message the app sends to one of its own addresses comes back to it as an inbound message. */
  private loopBack(entry: OutboxEntry, recipients: string[]): void {
    if (entry.raw_xml || !['chat', 'normal', ''].includes(entry.type ?? '')) return;
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
    this.presence.markInvited(req.jid);
    const entry = this.outbox.add({ time: new Date().toISOString(), kind: 'invite', from, to: [req.jid], version: this.versionOf(ctx), ...this.origin(ctx) });
    this.emit({ type: 'sent', entry });
    this.emitPresence(req.jid, 'invite');
    return entry;
  }

  getPresence(input: unknown, ctx: CallContext = JSON_CALL): { presence: PresenceAnswer[]; single: boolean } {
    this.quotas.chargeCall();
    const req = validateGetPresence(input);
    resolveSender(req.fromJid, this.app, this.versionOf(ctx));
    const presence = req.jids.map((jid): PresenceAnswer => {
      const r = parseJid(jid);
      if (!r.ok) return { jid, valid: false, available: false, show: '', status: '' };
      // The app itself always reads as available.
      if (classifyAppAddress(r.jid, this.app.appId) !== null) return { jid, valid: true, available: true, show: '', status: '' };
      return { jid, valid: true, ...this.presence.lookup(jid) };
    });
    if (!presence.some((p) => p.valid)) {
      throw new InvalidJidError(req.single ? `jid "${req.jids[0]}" is not a valid JID: ${reasonOf(req.jids[0]!)}` : 'no JID in jid is valid');
    }
    return { presence, single: req.single };
  }

  sendPresence(input: unknown, ctx: CallContext = JSON_CALL): OutboxEntry {
    this.quotas.chargeCall();
    const req = validateSendPresence(input);
    const version = this.versionOf(ctx);
    const from = resolveSender(req.fromJid, this.app, version);
    const entry = this.outbox.add({
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

  /** Forget what the app sent, and tell every surface. */
  clearOutbox(): number {
    const count = this.outbox.clear();
    this.emit({ type: 'outbox.cleared', count });
    return count;
  }

  // ---- fake presence, set by the developer -------------------------------------------------------------

  /** PUT /v1/presence/:jid: a word (available, away, ...) or {available, show?, status?, subscribed?}. */
  setPresence(jid: string, input: unknown): PresenceState & { subscribed: boolean } {
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
    this.presence.set(valid, state);
    if (subscribed !== undefined) this.presence.setSubscribed(valid, subscribed);
    this.emitPresence(valid, 'api');
    return { ...this.presence.lookup(valid), subscribed: this.presence.isSubscribed(valid) };
  }

  private emitPresence(jid: string, source: 'api' | 'inbound' | 'invite'): void {
    this.emit({ type: 'presence', jid, presence: this.presence.lookup(jid), subscribed: this.presence.isSubscribed(jid), source });
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
      this.presence.set(d.from, { available, show: available ? ((d.show ?? '') as PresenceState['show']) : '', status: d.status ?? '' });
      this.emitPresence(d.from, 'inbound');
    } else if (d.kind === 'subscription') {
      // The app accepts every invitation, so subscribe and subscribed both leave the JID subscribed.
      this.presence.setSubscribed(d.from, d.type === 'subscribe' || d.type === 'subscribed');
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
    }
    this.emit({ type: 'delivered', result });
    return result;
  }

  /** Stop new deliveries, let in-flight ones finish (each bounded by the delivery timeout), release waiters. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inflight]);
    this.outbox.close();
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}

function reasonOf(jid: string): string {
  const r = parseJid(jid);
  return r.ok ? 'valid' : r.reason;
}
