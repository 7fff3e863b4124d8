// Record and replay: read a --record transcript into turns (one inbound delivery and what the app sent for it),
// and compare what an app sends now against what it sent then, with ids and times left out. No I/O.
import { BadRequestError } from './errors.js';

/** An inbound delivery as the transcript holds it (the `inbound` of a `delivered` event). */
export interface RecordedInbound {
  kind: 'message' | 'presence' | 'subscription' | 'error';
  type: string;
  from: string;
  to: string;
  body?: string;
  show?: string;
  status?: string;
  stanza?: string;
  /** delivered again by `xmpp-emu replay` (it sends `replay: true`): not an input of the recording */
  replay?: boolean;
}

/** Presence the developer set (PUT /v1/presence) before a delivery: replayed before it, so the app reads the same. */
interface PresenceSetup {
  jid: string;
  state: { available: boolean; show: string; status: string; subscribed: boolean };
}

export interface Turn {
  /** 1-based, in transcript order */
  index: number;
  setup: PresenceSetup[];
  inbound: RecordedInbound;
  /** what the app sent while this delivery was in flight or before the next one, normalised */
  sent: Array<Record<string, unknown>>;
}

/** Fields that differ on every run by design: ids, times, causality ids, the namespace. */
const VOLATILE = new Set(['id', 'time', 'in_reply_to', 'seq', 'namespace']);

function normaliseEntry(entry: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(entry).sort()) if (!VOLATILE.has(k)) out[k] = entry[k];
  return out;
}

/** The input an injection needs to deliver the same thing again, marked as a replay. */
export function injectionOf(r: RecordedInbound): Record<string, unknown> {
  const base = { from: r.from, to: r.to, replay: true };
  switch (r.kind) {
    case 'message':
      return { ...base, body: r.body ?? '', type: r.type };
    case 'presence':
      return { ...base, type: r.type, ...(r.show ? { show: r.show } : {}), ...(r.status ? { status: r.status } : {}) };
    case 'subscription':
      return { ...base, type: r.type };
    case 'error':
      return { ...base, ...(r.stanza ? { stanza: r.stanza } : {}) };
  }
}

function describeInbound(r: RecordedInbound): string {
  return r.kind === 'message' ? `message from ${r.from}: ${JSON.stringify(r.body)}` : `${r.kind} ${r.type} from ${r.from}`;
}

/** A namespace's part of a transcript while it is read. */
interface Reading {
  turns: Turn[];
  pending: Array<Record<string, unknown>>;
  setup: PresenceSetup[];
  /** the last delivery was a replay's: what the app sent after it is the replay's too */
  afterReplay: boolean;
}

/**
 * Split a transcript (JSON lines) into turns, per namespace (events without one belong to "default"); only the
 * namespaces with a delivery to play are in the map. A delivery's `delivered` line is written when the app has
 * answered, so what the app sent while handling it comes before it: turn N holds the entries between delivery N-1's
 * line and delivery N's. The app's own loop-back deliveries are effects, not inputs, so they are not turns; nor are
 * the deliveries an earlier replay made (`inbound.replay`) into an emulator recording to the same file: they, what
 * the app sent for them and the presence set before them are skipped, so replaying never grows the recording.
 */
export function readTranscripts(text: string): Map<string, Turn[]> {
  const readings = new Map<string, Reading>();
  const lines = text.split('\n');
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(line) as Record<string, unknown>;
    } catch (e) {
      throw new BadRequestError(`transcript line ${i + 1} is not JSON: ${(e as Error).message}`);
    }
    if (event === null || typeof event !== 'object') throw new BadRequestError(`transcript line ${i + 1} is not an event object`);
    const namespace = String(event.namespace ?? 'default');
    let r = readings.get(namespace);
    if (!r) readings.set(namespace, (r = { turns: [], pending: [], setup: [], afterReplay: false }));
    if (event.type === 'sent') {
      r.pending.push(normaliseEntry(event.entry as Record<string, unknown>));
    } else if (event.type === 'presence' && event.source === 'api') {
      const p = event.presence as { available: boolean; show: string; status: string };
      r.setup.push({ jid: String(event.jid), state: { available: p.available, show: p.show, status: p.status, subscribed: event.subscribed === true } });
    } else if (event.type === 'delivered') {
      const result = event.result as { loopback?: boolean; duplicate?: boolean } | undefined;
      const inbound = event.inbound as RecordedInbound | undefined;
      // The app's own loop-backs and a fault's second POST are effects, not inputs.
      if (result?.loopback || result?.duplicate) continue;
      if (!inbound) throw new BadRequestError(`transcript line ${i + 1}: a delivered event without "inbound" (recorded by an older xmpp-emu?)`);
      if (inbound.replay) {
        r.afterReplay = true;
      } else {
        r.afterReplay = false;
        r.turns.push({ index: r.turns.length + 1, setup: r.setup, inbound, sent: r.pending });
      }
      r.pending = [];
      r.setup = [];
    }
  }
  const turns = new Map<string, Turn[]>();
  for (const [namespace, r] of readings) {
    if (r.turns.length === 0) continue;
    // What the app sent after the last delivery answered belongs to that delivery.
    if (!r.afterReplay) r.turns.at(-1)!.sent.push(...r.pending);
    turns.set(namespace, r.turns);
  }
  return turns;
}

/** One namespace's turns (see readTranscripts). */
export function readTranscript(text: string, namespace = 'default'): Turn[] {
  return readTranscripts(text).get(namespace) ?? [];
}

export interface TurnDifference {
  /** the namespace the turn was recorded and replayed in */
  namespace: string;
  index: number;
  inbound: string;
  expected: Array<Record<string, unknown>>;
  actual: Array<Record<string, unknown>>;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The turns whose sent entries differ, entry by entry, in order. */
export function diffTurn(turn: Turn, actual: Array<Record<string, unknown>>, namespace = 'default'): TurnDifference | null {
  const now = actual.map(normaliseEntry);
  if (now.length === turn.sent.length && now.every((e, i) => same(e, turn.sent[i]))) return null;
  return { namespace, index: turn.index, inbound: describeInbound(turn.inbound), expected: turn.sent, actual: now };
}

/** A readable diff: `-` what the app sent then, `+` what it sends now. */
export function formatDifference(d: TurnDifference): string {
  const lines = [`turn ${d.index}${d.namespace === 'default' ? '' : ` in namespace ${d.namespace}`} (${d.inbound}):`];
  const n = Math.max(d.expected.length, d.actual.length);
  for (let i = 0; i < n; i++) {
    const e = d.expected[i];
    const a = d.actual[i];
    if (e !== undefined && a !== undefined && same(e, a)) {
      lines.push(`  ${JSON.stringify(e)}`);
      continue;
    }
    if (e !== undefined) lines.push(`- ${JSON.stringify(e)}`);
    if (a !== undefined) lines.push(`+ ${JSON.stringify(a)}`);
  }
  return lines.join('\n');
}
