// The console: each event in the old dev server's human format (coloured on a terminal), or one JSON line each.
import { Chalk, type ChalkInstance } from 'chalk';
import type { EmulatorEvent, OutboxEntry, DeliveryResult } from '../core/events.js';
import { describePresence } from '../domain/presence.js';

const pad = (s: string): string => s.split('\n').map((l) => `       ${l}`).join('\n');

function field(c: ChalkInstance, name: string, value: string | string[]): string {
  const v = Array.isArray(value) ? value.map(pad).join('\n') : pad(value);
  return `    ${c.bold(`${name}:`)}\n${v}`;
}

/** The block the dev server printed for each outgoing call. */
export function formatSent(e: OutboxEntry, c: ChalkInstance): string {
  if (e.kind === 'message') {
    return [
      c.cyan('Sending an XMPP Message:'),
      field(c, 'From', e.from),
      field(c, 'Body', e.body ?? ''),
      field(c, 'Type', e.type ?? 'chat'),
      field(c, 'Raw Xml', e.raw_xml ? 'True' : 'False'),
      field(c, 'To JIDs', e.to),
    ].join('\n');
  }
  if (e.kind === 'invite') {
    return [c.cyan('Sending an XMPP Invite:'), field(c, 'From', e.from), field(c, 'To', e.to)].join('\n');
  }
  return [
    c.cyan('Sending an XMPP Presence:'),
    field(c, 'From', e.from),
    field(c, 'To', e.to),
    field(c, 'Type', e.type ?? ''),
    field(c, 'Show', e.show ?? ''),
    field(c, 'Status', e.status ?? ''),
  ].join('\n');
}

export function formatDelivery(r: DeliveryResult, c: ChalkInstance): string {
  const what = r.kind === 'message' ? `${r.type || 'untyped'} message` : r.kind === 'error' ? 'error stanza' : `${r.kind} ${r.type}`;
  const head = `${r.loopback ? 'loop-back ' : ''}${what} from ${r.from} to ${r.to}${r.body !== undefined ? `: ${JSON.stringify(r.body.length > 200 ? `${r.body.slice(0, 200)}…` : r.body)}` : ''}`;
  if (r.delivered) return `${c.green('→ delivered')} ${head}\n  ${c.dim(`POST ${r.url} ${r.status} (${r.duration_ms} ms)`)}`;
  return `${c.red('✗ not delivered')} ${head}\n  ${c.yellow(r.reason ?? 'unknown reason')}${r.url ? c.dim(` (${r.duration_ms} ms)`) : ''}`;
}

export function formatEvent(event: EmulatorEvent, c: ChalkInstance): string {
  switch (event.type) {
    case 'sent':
      return formatSent(event.entry, c);
    case 'delivered':
      return formatDelivery(event.result, c);
    case 'presence': {
      return c.magenta(`presence ${event.jid}: ${describePresence({ ...event.presence, subscribed: event.subscribed })} (${event.source})`);
    }
    case 'config':
      return (event.ok ? c.green : c.red)(`${event.source}: ${event.message}`);
    case 'outbox.cleared':
      return c.dim(`outbox cleared (${event.count} entries)`);
    case 'rejected':
      return c.red(`✗ refused ${event.call} (${event.protocol}): ${event.code} ${event.message}`);
  }
}

export function chalkFor(color: boolean): ChalkInstance {
  return new Chalk({ level: color ? 1 : 0 });
}

/**
 * Write each event to `out`: JSON lines, or the human format (coloured when `color`). Lines are gathered and
 * written once per turn of the event loop, in order: under load, one write instead of one per call.
 */
export function attachPrinter(
  on: (l: (e: EmulatorEvent) => void) => () => void,
  out: NodeJS.WritableStream,
  opts: { json: boolean; color: boolean },
): () => void {
  const c = chalkFor(opts.color);
  let pending: string[] = [];
  const flush = (): void => {
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    out.write(text);
  };
  const off = on((event) => {
    if (pending.length === 0) setImmediate(flush);
    pending.push(opts.json ? `${JSON.stringify(event)}\n` : `${formatEvent(event, c)}\n`);
  });
  return () => {
    off();
    flush();
  };
}
