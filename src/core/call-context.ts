// What the engine knows about who made a service call, whichever protocol carried it.
import type { Protocol } from './events.js';

export interface CallContext {
  protocol: Protocol;
  /** the ticket the SDK sent back (request_id, or the X-AppEngine-API-Ticket header on the JSON API) */
  ticket?: string | null;
  /** the X-AppEngine-Version the call names; only a configured non-default version rewrites senders */
  version?: string | null;
  /** the module (service) the call comes from, when the call says; production refused non-default modules */
  module?: string | null;
  /** the API-server protocols: the method called and its decoded protobuf request, for the `call` event */
  wire?: { method: string; request: unknown };
  /**
   * true: every string in the call's input is ASCII from U+0020 to U+007F, as the transport saw in the bytes it
   * parsed (JSON text with no escape and no byte above 0x7F: JSON strings cannot hold raw control characters). Such
   * text is its own UTF-8 length and holds nothing XML cannot carry, so a long body need not be scanned for either.
   */
  asciiText?: boolean;
}

export const JSON_CALL: Readonly<CallContext> = Object.freeze({ protocol: 'json' });
