// Namespaces (tenants) inside one emulator: one engine each, with its own outbox, presence, quotas, faults and
// clock, created on first use and bounded in number. They share the event stream, the app's config files, the
// ticket book and the connections to the app. "default" is the emulator as it always was.
import { EventEmitter } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import { randomInt } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { XmppService } from '../domain/app-yaml.js';
import { BadRequestError } from '../domain/errors.js';
import type { PresenceFixture } from '../domain/presence.js';
import { deriveSeed, MAX_SEED, seededRandom } from '../domain/random.js';
import type { Options } from '../options.js';
import { appClient, Boundaries } from './deliver.js';
import type { Engine } from './engine.js';
import type { EmulatorEvent, EventBody } from './events.js';
import { Slots } from './slots.js';
import { TicketBook } from './tickets.js';
import type { Transcript } from './transcript.js';

export const DEFAULT_NAMESPACE = 'default';
/** Namespaces alive at once besides the default; past it, a new one is refused until one is deleted. */
export const MAX_NAMESPACES = 100;
/** Each namespace but the default keeps this share of --outbox-max-bytes, so all of them stay bounded. */
export const NAMESPACE_OUTBOX_SHARE = 16;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function checkNamespace(name: string): string {
  if (!NAME.test(name))
    throw new BadRequestError(`namespace "${name.slice(0, 80)}" must be 1 to 64 letters, digits, "_", "." or "-", starting with a letter or digit`);
  return name;
}

/** POSTs to the app in flight at once, across namespaces (they share the app). */
export const DELIVERY_CONCURRENCY = 32;

export class Namespaces {
  readonly bus = new EventEmitter();
  /** the run's seed: --seed, or drawn at start (and reported) so a failing run can be repeated */
  readonly seed: number;
  readonly tickets: TicketBook;
  /** the multipart boundaries of deliveries, from the seed too */
  readonly boundaries: Boundaries;
  /** for the start-up probe of the app (GET); deliveries go over `appClient` */
  readonly agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
  private client: Dispatcher | null = null;
  /** At most this many POSTs to the app at once; the rest wait their turn (a call to 40,000 of the app's own
   * addresses must not open 40,000 sockets) */
  readonly deliveries = new Slots(DELIVERY_CONCURRENCY);
  /** null: no app.yaml, so every inbound service is enabled */
  enabled: XmppService[] | null = null;
  /** the presence file's last good state, applied to every namespace (and to each new one) */
  fixture: PresenceFixture | null = null;
  /** --record's transcript, written before each event is heard (transcript.ts) */
  journal: Transcript | null = null;
  private seq = 0;
  private readonly engines = new Map<string, Engine>();

  constructor(
    readonly options: Readonly<Options>,
    readonly root: Engine,
    private readonly create: (name: string) => Engine,
  ) {
    this.seed = options.seed ?? randomInt(MAX_SEED);
    this.tickets = new TicketBook(deriveSeed(this.seed, 'tickets').toString(16).padStart(8, '0'));
    this.boundaries = new Boundaries(seededRandom(deriveSeed(this.seed, 'boundaries')));
    this.bus.setMaxListeners(0);
    this.engines.set(DEFAULT_NAMESPACE, root);
  }

  /** The engine of a namespace, created on first use. */
  get(name: string): Engine {
    const found = this.engines.get(name);
    if (found) return found;
    checkNamespace(name);
    if (this.engines.size > MAX_NAMESPACES) {
      throw new BadRequestError(`too many namespaces (${MAX_NAMESPACES} besides "default"); delete finished ones with DELETE /ns/NAME/v1/namespace`);
    }
    const engine = this.create(name);
    if (this.fixture) engine.presenceBook.applyFixture(this.fixture);
    this.engines.set(name, engine);
    return engine;
  }

  /** The namespace a delivery ticket was issued in, when it still exists. */
  forTicket(ticket: string | null | undefined): Engine | undefined {
    const name = this.tickets.namespaceOf(ticket);
    return name === undefined ? undefined : this.engines.get(name);
  }

  /** Forget a namespace (not the default: reset that one); its waiters are released. */
  delete(name: string): boolean {
    if (name === DEFAULT_NAMESPACE) throw new BadRequestError('the default namespace cannot be deleted; reset it instead (POST /v1/reset)');
    const engine = this.engines.get(name);
    if (!engine) return false;
    this.engines.delete(name);
    engine.releaseWaits(`the namespace ${name} was deleted`);
    return true;
  }

  names(): string[] {
    return [...this.engines.keys()];
  }

  all(): Engine[] {
    return [...this.engines.values()];
  }

  applyPresenceFixture(f: PresenceFixture): void {
    this.fixture = f;
    for (const e of this.engines.values()) e.presenceBook.applyFixture(f);
  }

  /** One stream for every namespace: events name theirs, except the default's (as before namespaces). With --record,
   * the event's transcript line is written before any subscriber hears it. */
  emit(body: EventBody, namespace: string, time: string): EmulatorEvent {
    const event = this.stamp(body, namespace, time);
    this.journal?.note(event);
    return this.publish(event);
  }

  /** A service call's event. With --record its line is written first; when it cannot be, the coded error is thrown
   * before `apply` runs, so the call leaves no trace. Then `apply` makes the call take effect, and the stream hears it. */
  commit(body: EventBody, namespace: string, time: string, apply: () => void): EmulatorEvent {
    const event = this.stamp(body, namespace, time);
    this.journal?.commit(event);
    apply();
    return this.publish(event);
  }

  /** Every emitter builds a fresh body, so it is stamped in place: no copy per event on the send path. */
  private stamp(body: EventBody, namespace: string, time: string): EmulatorEvent {
    const event = body as EmulatorEvent;
    if (namespace !== DEFAULT_NAMESPACE) event.namespace = namespace;
    event.seq = this.seq + 1;
    event.time = time;
    return event;
  }

  private publish(event: EmulatorEvent): EmulatorEvent {
    this.seq = event.seq;
    this.bus.emit('event', event);
    return event;
  }

  /** The connections deliveries are POSTed over, opened on the first delivery. */
  get appClient(): Dispatcher {
    return (this.client ??= appClient(this.options.deliveryTimeoutMs));
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
    this.client?.destroy().catch(() => {});
  }
}
