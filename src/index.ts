// xmpp-emu: the public barrel. startEmulator() and the types its callers see; the engine stays inside.
export { startEmulator, type RunningEmulator, type StartOptions } from './core/start.js';
export type { Options, OptionsInput } from './options.js';
export type {
  ControlPort,
  InboundError,
  InboundMessage,
  InboundPresence,
  InboundSubscription,
  PresenceInput,
  WaitOptions,
} from './control/port.js';
export type { DeliveryResult, EmulatorEvent, EventListener, OutboxEntry, Protocol, Rejection } from './core/events.js';
export type { OutboxFilter } from './core/outbox.js';
export type { AppInfo, Endpoints } from './core/info.js';
export type { EngineStats } from './core/engine.js';
export type { PresenceListing } from './domain/presence.js';
export type { OutboxKind, PresenceState } from './domain/vocabulary.js';
export { XmppError, TimeoutError } from './domain/errors.js';
