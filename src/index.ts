// xmpp-emu: the public barrel. startEmulator() and the types its callers see; the engine stays inside.
export { startEmulator, type NamespacedEmulator, type RunningEmulator, type StartOptions } from './core/start.js';
export type { Options, OptionsInput } from './options.js';
export type {
  ControlPort,
  InboundError,
  InboundMessage,
  InboundPresence,
  InboundSubscription,
  PresenceInput,
  SequenceOptions,
  WaitOptions,
} from './control/port.js';
/** The control API over HTTP, for a test worker in another process: `new RemoteControl(URL).namespace()`. */
export { RemoteControl } from './control/remote.js';
export type { DeliveryResult, EmulatorEvent, EventListener, FaultEvent, OutboxEntry, Protocol, Rejection } from './core/events.js';
export type { OutboxFilter } from './core/outbox.js';
export type { AppInfo, Endpoints } from './core/info.js';
export type { EngineStats } from './core/engine.js';
export type { PresenceListing } from './domain/presence.js';
export type { OutboxKind, PresenceState } from './domain/vocabulary.js';
export type { ClockChange, ClockState } from './domain/clock.js';
export type { DeliveryFault, FaultCall, FaultRule, FaultRuleInput, FaultStatus } from './domain/faults.js';
export { XmppError, TimeoutError, AssertionFailedError } from './domain/errors.js';
