// The shapes the emulator sends, from the server's own definitions (types only: nothing of the server is bundled).
export type { CallEvent, DeliveryResult, EmulatorEvent, Exchange, OutboxEntry } from '../core/events.js';
export type { DeliveryFault, FaultCall, FaultRule, FaultStatus } from '../domain/faults.js';
export type { PresenceListing } from '../domain/presence.js';
export type { PresenceState } from '../domain/vocabulary.js';

/** The first frame of /v1/events. */
export interface Hello {
  type: 'hello';
  app_id: string;
  first_seq: number | null;
  last_seq: number;
}

/** GET /v1/info */
export interface Info {
  app_id: string;
  app_url: string;
  versions: Record<string, string>;
  addresses: string[];
  inbound_services: string[] | null;
  app_yaml: string | null;
  presence_file: string | null;
  strict_presence: boolean;
  [more: string]: unknown;
}

/** Any event, including kinds this console does not know yet (they still show in the inspector). */
export interface AnyEvent {
  type: string;
  seq: number;
  time: string;
  [field: string]: unknown;
}
