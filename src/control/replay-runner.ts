// Plays the inbound side of a recorded transcript through any ControlPort, turn by turn, and compares what the app
// sends now with what it sent then (ids and times left out).
import { diffTurn, injectionOf, readTranscripts, type Turn, type TurnDifference } from '../domain/replay.js';
import { BadRequestError, TimeoutError } from '../domain/errors.js';
import type { OutboxEntry } from '../core/events.js';
import type { ControlPort, InboundError, InboundMessage, InboundPresence, InboundSubscription } from './port.js';

export interface ReplayReport {
  turns: number;
  differences: TurnDifference[];
  ok: boolean;
}

/** How long a turn waits for as many entries as the app sent then, after its delivery was answered. */
export const DEFAULT_TURN_TIMEOUT_MS = 2000;

function deliver(control: ControlPort, turn: Turn): Promise<unknown> {
  const input = injectionOf(turn.inbound);
  switch (turn.inbound.kind) {
    case 'message':
      return control.injectMessage(input as unknown as InboundMessage);
    case 'presence':
      return control.injectPresence(input as unknown as InboundPresence);
    case 'subscription':
      return control.injectSubscription(input as unknown as InboundSubscription);
    case 'error':
      return control.injectError(input as unknown as InboundError);
  }
}

/** Entries after `since`, waiting (up to timeoutMs) until there are at least `want`. */
async function collect(control: ControlPort, since: number, want: number, timeoutMs: number): Promise<OutboxEntry[]> {
  const deadline = performance.now() + timeoutMs;
  let got = await control.outbox({ since });
  while (got.length < want) {
    const left = Math.round(deadline - performance.now());
    if (left <= 0) break;
    try {
      await control.waitFor({ since: got.at(-1)?.id ?? since, timeoutMs: left });
    } catch (e) {
      if (e instanceof TimeoutError) break;
      throw e;
    }
    got = await control.outbox({ since });
  }
  return got;
}

/**
 * Each recorded namespace's turns are played into that namespace (`controlFor(name)`) and compared there; with
 * `namespace`, that one only, and a namespace the transcript has no delivery in is a coded error naming those it has.
 */
export async function replayTranscript(
  text: string,
  controlFor: (namespace: string) => ControlPort,
  opts: { namespace?: string; timeoutMs?: number } = {},
): Promise<ReplayReport> {
  const recorded = readTranscripts(text);
  if (opts.namespace !== undefined && !recorded.has(opts.namespace)) {
    const has = [...recorded.keys()];
    throw new BadRequestError(
      `the transcript has no deliveries in namespace "${opts.namespace}"; ${has.length ? `it has deliveries in: ${has.join(', ')}` : 'it has no deliveries at all'}`,
    );
  }
  const differences: TurnDifference[] = [];
  let count = 0;
  for (const [namespace, turns] of recorded) {
    if (opts.namespace !== undefined && namespace !== opts.namespace) continue;
    const control = controlFor(namespace);
    let since = await control.lastOutboxId();
    for (const turn of turns) {
      for (const s of turn.setup) await control.setPresence(s.jid, s.state);
      await deliver(control, turn);
      const got = await collect(control, since, turn.sent.length, opts.timeoutMs ?? DEFAULT_TURN_TIMEOUT_MS);
      since = got.at(-1)?.id ?? since;
      const d = diffTurn(turn, got as unknown as Array<Record<string, unknown>>, namespace);
      if (d) differences.push(d);
    }
    count += turns.length;
  }
  return { turns: count, differences, ok: differences.length === 0 };
}
