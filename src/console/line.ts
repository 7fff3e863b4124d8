// The default console: one line per event (time, direction, kind, addresses, status, body cut to the width).
import type { ChalkInstance } from 'chalk';
import type { DeliveryResult, EmulatorEvent, OutboxEntry } from '../core/events.js';
import { bodyHead } from '../core/body-bytes.js';
import { describeClock } from '../domain/clock.js';
import { describeFault } from '../domain/faults.js';
import { describeClient, describePresence } from '../domain/presence.js';

/** What a line says about who talks to whom; a refused call never reached a user. */
const USER_TO_APP = 'user → app';
const APP_TO_USER = 'app → user';
const REFUSED = 'app → ✗   ';
const EMULATOR = 'emulator  ';
const APP_CALL = 'app → emu ';

/** HH:MM:SS.mmm in local time: a console is read beside other local logs. */
export function clock(iso: string): string {
  // An ISO time in seconds (YYYY-MM-DDTHH:MM:SS.mmmZ): its local HH:MM:SS is worked out once a second, not for
  // every line (parsing and local-time fields cost more than the rest of a line), the milliseconds are copied.
  if (iso.length === 24 && iso.charCodeAt(23) === 90 && iso.charCodeAt(19) === 46) {
    const second = iso.slice(0, 19);
    if (second !== lastSecond) {
      lastSecond = second;
      lastHms = localHms(new Date(iso));
    }
    return `${lastHms}.${iso.slice(20, 23)}`;
  }
  const d = new Date(iso);
  return `${localHms(d)}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

let lastSecond = '';
let lastHms = '';

function localHms(d: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** One visible line: control characters and line breaks shown, not obeyed. */
function flat(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what it shows
  return text.replace(/\r?\n/g, '⏎').replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A body keeps at least this many columns, even when a long status leaves the line no room. */
const MIN_BODY = 24;

/** Cut `text` so that `used + text` fits in `width` columns, marking the cut with an ellipsis. */
export function fit(text: string, used: number, width: number): string {
  const room = width - used;
  // Columns are code points; without surrogates, one per UTF-16 unit (no array of the text's characters).
  if (text.length <= room) return text;
  if (!SURROGATE.test(text)) return room <= 1 ? '…' : `${text.slice(0, room - 1)}…`;
  const chars = [...text];
  if (chars.length <= room) return text;
  return room <= 1 ? '…' : `${chars.slice(0, room - 1).join('')}…`;
}

const SURROGATE = /[\ud800-\udfff]/;
// eslint-disable-next-line no-control-regex -- the escape sequences chalk writes
const ANSI_STYLE = /\u001b\[[0-9;]*m/g;

/** The columns `text` takes: its code points, styles left out. */
function columns(text: string): number {
  const bare = text.includes('\u001b') ? text.replace(ANSI_STYLE, '') : text;
  return SURROGATE.test(bare) ? [...bare].length : bare.length;
}

function deliveryKind(r: DeliveryResult): string {
  if (r.kind === 'message') return 'message';
  if (r.kind === 'error') return 'error';
  return `${r.kind} ${r.type}`;
}

function ms(n: number): string {
  return `${n < 10 ? n.toFixed(1) : Math.round(n)} ms`;
}

function deliveryStatus(r: DeliveryResult, c: ChalkInstance): string {
  if (r.delivered) return c.green(`${r.status} ${ms(r.duration_ms)}`);
  return c.red(`not delivered: ${r.reason ?? (r.status === null ? 'no answer' : `the app answered HTTP ${r.status}`)}`);
}

function sentStatus(e: OutboxEntry, c: ChalkInstance): string {
  const invalid = (e.statuses ?? []).filter((s) => s !== 0).length;
  return invalid ? c.yellow(`sent, ${invalid} invalid JID${invalid > 1 ? 's' : ''}`) : c.green('sent');
}

function sentBody(e: OutboxEntry): string {
  if (e.kind === 'invite') return '';
  return [e.type || 'available', e.show, e.status ? `"${e.status}"` : ''].filter(Boolean).join(' ');
}

interface Parts {
  time: string;
  direction: string;
  kind: string;
  addresses: string;
  status: string;
  body: string;
  /** a message body: shown in quotes, so leading and trailing spaces show */
  quoted?: boolean;
  /** a message the app sent: its body is the entry's, read only as far as the line shows (`body` is '') */
  entry?: OutboxEntry;
  /** the whole line in one colour (refusals are red) */
  tone?: (s: string) => string;
}

function partsOf(event: EmulatorEvent, c: ChalkInstance): Parts {
  const time = clock(event.time);
  switch (event.type) {
    case 'delivered': {
      const r = event.result;
      return {
        time,
        direction: r.loopback ? 'app → app ' : USER_TO_APP,
        kind: deliveryKind(r),
        addresses: `${r.from} → ${r.to}`,
        status: deliveryStatus(r, c),
        body: r.body ?? '',
        quoted: r.body !== undefined,
      };
    }
    case 'sent': {
      const e = event.entry;
      const kind = e.kind === 'presence' ? 'presence' : e.kind;
      const message = e.kind === 'message';
      // A message's body is only read as far as the line can show (a long one may be kept as bytes, see body-bytes.ts).
      const body = message ? '' : sentBody(e);
      return {
        time,
        direction: APP_TO_USER,
        kind,
        addresses: `${e.from} → ${e.to.join(', ')}`,
        status: sentStatus(e, c),
        body,
        quoted: message,
        ...(message ? { entry: e } : {}),
      };
    }
    case 'rejected':
      return {
        time,
        direction: REFUSED,
        kind: event.call,
        addresses: '',
        status: `${event.code}: ${event.message}`,
        body: event.request === null ? '' : typeof event.request === 'string' ? event.request : JSON.stringify(event.request),
        tone: c.red,
      };
    case 'call':
      return {
        time,
        direction: APP_CALL,
        kind: event.call,
        addresses: '',
        status: 'answered',
        body: JSON.stringify(event.answer),
        tone: c.dim,
      };
    case 'presence':
      return {
        time,
        direction: EMULATOR,
        kind: 'presence',
        addresses: event.jid,
        status: `${describePresence({ ...event.presence, subscribed: event.subscribed })}${event.source === 'invite' ? ' (invited by the app)' : ''}`,
        body: '',
        tone: c.magenta,
      };
    case 'config':
      return { time, direction: EMULATOR, kind: event.source, addresses: '', status: event.message, body: '', tone: event.ok ? c.green : c.red };
    case 'outbox.cleared':
      return { time, direction: EMULATOR, kind: 'outbox', addresses: '', status: `cleared (${event.count} entries)`, body: '', tone: c.dim };
    case 'xmpp.session':
      return { time, direction: EMULATOR, kind: 'xmpp', addresses: event.jid, status: `${event.state}: ${describeClient(event)}`, body: '', tone: c.blue };
    case 'fault':
      return { time, direction: EMULATOR, kind: 'fault', addresses: event.jids.join(', '), status: describeFault(event), body: '', tone: c.yellow };
    case 'clock':
      return { time, direction: EMULATOR, kind: 'clock', addresses: '', status: describeClock(event.clock), body: '', tone: c.dim };
    case 'reset':
      return { time, direction: EMULATOR, kind: 'reset', addresses: '', status: `namespace ${event.namespace ?? 'default'} reset`, body: '', tone: c.dim };
  }
}

/**
 * One event as one line. `indent` puts a reply under the delivery that caused it. Only the body is cut to
 * `width`; the rest is what a reader needs whole.
 */
export function formatLine(event: EmulatorEvent, c: ChalkInstance, width: number, indent = false): string {
  const p = partsOf(event, c);
  const head = [c.dim(p.time), `${indent ? '  ↳ ' : ''}${p.direction}`, p.kind.padEnd(indent ? 6 : 8), p.addresses, p.status]
    .filter((s) => s !== '')
    .join('  ');
  let line = head;
  if (p.body !== '' || p.quoted) {
    const used = columns(head) + 2;
    // A long status (a failure's reason) still leaves the body a few columns.
    const room = Math.max(width, used + MIN_BODY);
    // Only what can show is quoted, flattened and cut: a 100 KB body costs what a line does (its prefix is a view,
    // not a copy). The prefix holds more code points than the room, so a cut body still gets its ellipsis.
    const cut = p.entry ? bodyHead(p.entry, 2 * room) : p.body.length > 2 * room ? p.body.slice(0, 2 * room) : p.body;
    line = `${head}  ${fit(flat(p.quoted ? `"${cut}"` : cut), used, room)}`;
  }
  return p.tone ? p.tone(line) : line;
}
