// The console: one line per event (default), the old dev server's blocks (`--console devserver`), or JSON lines.
import type { Writable } from 'node:stream';
import { Chalk, type ChalkInstance } from 'chalk';
import { eventJson, eventJsonParts, utf8Encoding } from '../core/event-json.js';
import type { EmulatorEvent, OutboxEntry, DeliveryResult } from '../core/events.js';
import { describeClock } from '../domain/clock.js';
import { describeFault } from '../domain/faults.js';
import { describeClient, describePresence } from '../domain/presence.js';
import type { ConsoleStyle } from '../options.js';
import { formatLine } from './line.js';

/** Where bodies are cut when the output is not a terminal (a log file, a pipe). */
export const CONSOLE_WIDTH = 160;

const pad = (s: string): string =>
  s
    .split('\n')
    .map((l) => `       ${l}`)
    .join('\n');

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
    case 'call':
      return c.dim(`${event.call} (${event.protocol}) answered ${JSON.stringify(event.answer)}`);
    case 'rejected':
      return c.red(`✗ refused ${event.call} (${event.protocol}): ${event.code} ${event.message}`);
    case 'xmpp.session':
      return c.blue(`xmpp ${event.jid} ${event.state} (${describeClient(event)})`);
    case 'fault':
      return c.yellow(`fault ${describeFault(event)} (${event.jids.join(', ')})`);
    case 'clock':
      return c.dim(`clock: ${describeClock(event.clock)}`);
    case 'reset':
      return c.dim(`namespace ${event.namespace ?? 'default'} reset`);
  }
}

export interface ConsoleFormat {
  json: boolean;
  style: ConsoleStyle;
  color: boolean;
  /** columns the body is cut to in the line style */
  width: number;
  /** a running emulator's console: hint at a likely cause when the app fails before it ever called (line style) */
  hints?: boolean;
  /**
   * false: print a reply at once, not held for its delivery's line. For lists (the cause is long past) and filtered
   * feeds (the cause's `delivered` event is filtered out), where that line never comes.
   */
  holdReplies?: boolean;
}

/** An app that fails a delivery without ever calling the emulator is often calling another one (or none). */
export const NEVER_CALLED_HINT =
  'hint: the app failed and has not called this emulator yet; if it was started on its own, it may be calling another port: give it the XMPP_EMULATOR_HOST this emulator printed';

/** Replies wait for the delivery that caused them (its line comes after the app answered); at most this many. */
const MAX_HELD = 1000;

/**
 * A stateful formatter: each event in, the text to print out (possibly several lines, possibly none yet). In the
 * line style an entry the app sent while handling a delivery is held until that delivery's line, then printed
 * indented under it; an entry whose delivery was already printed is printed indented at once.
 */
export interface ConsoleFormatter {
  format(event: EmulatorEvent): string;
  /** --json: the same text as format, a body kept as bytes left as its bytes (written as they are, not as a string) */
  pieces?(event: EmulatorEvent): Array<string | Buffer>;
  /** what is still held (replies whose delivery never finished), to print on the way out */
  drain(): string;
}

export function consoleFormatter(f: ConsoleFormat): ConsoleFormatter {
  const c = chalkFor(f.color);
  if (f.json) {
    const pieces = (event: EmulatorEvent): Array<string | Buffer> => {
      const json = eventJsonParts(event);
      return typeof json === 'string' ? [`${json}\n`] : [json.head, json.body, `${json.tail}\n`];
    };
    return { format: (event) => `${eventJson(event)}\n`, pieces, drain: () => '' };
  }
  // The human styles leave `call` (a read) out: the dev server printed no reads.
  if (f.style === 'devserver') return { format: (event) => (event.type === 'call' ? '' : `${formatEvent(event, c)}\n`), drain: () => '' };
  const held = new Map<string, EmulatorEvent[]>();
  // Deliveries already printed, newest last: a late reply to one of them is printed at once.
  const printed = new Set<string>();
  let appCalled = false;
  let hinted = false;
  const hint = (e: EmulatorEvent): string => {
    if (!f.hints || appCalled || hinted || e.type !== 'delivered' || (e.result.status ?? 0) < 500) return '';
    hinted = true;
    return `${c.yellow(`  ${NEVER_CALLED_HINT}`)}\n`;
  };
  const line = (e: EmulatorEvent, indent = false): string => `${formatLine(e, c, f.width, indent)}\n${hint(e)}`;
  const drain = (): string => {
    const text = [...held.values()]
      .flat()
      .map((e) => line(e))
      .join('');
    held.clear();
    return text;
  };
  const format = (event: EmulatorEvent): string => {
    if (event.type === 'call') return '';
    // Counted on arrival: a reply held for its cause still shows that the app called.
    if (event.type === 'sent' || event.type === 'rejected') appCalled = true;
    // An invitation's presence change is what its own `invite` line already says.
    if (event.type === 'presence' && event.source === 'invite') return '';
    const cause = event.type === 'sent' && f.holdReplies !== false ? event.entry.in_reply_to : undefined;
    if (cause) {
      if (printed.has(cause)) return line(event, true);
      const waiting = held.get(cause);
      if (waiting) waiting.push(event);
      else held.set(cause, [event]);
      if (held.size <= MAX_HELD) return '';
      // Too many deliveries in flight at once: let the oldest group's replies go without their cause.
      const [oldest, group] = held.entries().next().value as [string, EmulatorEvent[]];
      held.delete(oldest);
      return group.map((e) => line(e)).join('');
    }
    if (event.type === 'delivered' && event.result.id) {
      const id = event.result.id;
      printed.add(id);
      if (printed.size > MAX_HELD) printed.delete(printed.values().next().value as string);
      const replies = held.get(id) ?? [];
      held.delete(id);
      return line(event) + replies.map((e) => line(e, true)).join('');
    }
    return line(event);
  };
  return { format, drain };
}

export function chalkFor(color: boolean): ChalkInstance {
  return new Chalk({ level: color ? 1 : 0 });
}

/** At most this many characters of lines per write (a single longer line is written alone). */
const WRITE_BATCH = 64 * 1024;

/**
 * Under load, lines gather this long and go out in one write: one display frame at 60 Hz, as the live feed's frames
 * (http/feed-broadcast.ts). Each write is a system call and wakes whoever reads the console (a terminal, a pipe).
 */
const GATHER_MS = 16;

/** Past this many characters gathered, they are written at once: a flood of long lines is not held in memory. */
const MAX_GATHERED = 1024 * 1024;

/**
 * Past this many bytes waiting to be written (the stream's queue plus what is gathered), new lines are dropped and
 * counted instead: a stdout nobody reads (a stopped pager, a stuck log shipper) does not grow the process without end.
 * The outbox, the history and the feed keep every event regardless; the console says how many lines it dropped.
 */
export const CONSOLE_BACKLOG_MAX = 4 * 1024 * 1024;

/** The line that says what was dropped, in the console's own format. */
export function droppedNotice(lines: number, json: boolean): string {
  const message = `console: ${lines} line${lines === 1 ? '' : 's'} dropped because stdout was not being read (the outbox, history and feed keep every event)`;
  return json ? `${JSON.stringify({ event: 'console.dropped', lines, message })}\n` : `${message}\n`;
}

const newlines = (texts: Array<string | Buffer>): number => {
  let n = 0;
  for (const t of texts) if (typeof t === 'string') for (let i = t.indexOf('\n'); i !== -1; i = t.indexOf('\n', i + 1)) n++;
  return n;
};

/** Each attached printer's flush, by the stream it writes to (see flushConsole). */
const flushes = new WeakMap<NodeJS.WritableStream, () => void>();

/**
 * Write at once whatever the printer attached to `out` has gathered. Whoever else writes to the same terminal (the
 * REPL, the CLI's own lines) calls this first, so that the console's lines come before theirs, as they happened.
 */
export function flushConsole(out: NodeJS.WritableStream): void {
  flushes.get(out)?.();
}

/**
 * Write each event to `out`: JSON lines, or the human format (coloured when `color`). Events are formatted at the end
 * of their turn of the event loop, in order. The lines are written then when the console has been quiet for GATHER_MS
 * (the first event after a pause shows at once); under load they gather and go in one write every GATHER_MS. The
 * stop function writes everything, as does flushConsole. Batches stay small: joining a turn's 50 KB lines into one
 * string took fresh pages (faulted in) for every write.
 */
export function attachPrinter(on: (l: (e: EmulatorEvent) => void) => () => void, out: NodeJS.WritableStream, f: ConsoleFormat): () => void {
  const formatter = consoleFormatter(f);
  // Events are formatted when the turn's lines are written, not as they are heard: a delivery's `delivered` event is
  // heard before its caller (the control API's answer) goes on, and its line need not be built first. Events are not
  // changed once emitted, and the formatter takes them in the same order, so the text is the same.
  let pending: EmulatorEvent[] = [];
  // Lines formatted and not yet written, in order.
  let gathered: Array<string | Buffer> = [];
  let size = 0;
  let timer: NodeJS.Timeout | null = null;
  let lastWrite = -Infinity;
  const write = (texts: Array<string | Buffer>): void => {
    if (texts.every((t) => typeof t === 'string')) {
      const text = texts.join('');
      return void out.write(text, utf8Encoding(text));
    }
    // A body's bytes between its line's texts: one writev, the bytes never copied into a string.
    const stream = out as Partial<Writable> & NodeJS.WritableStream;
    stream.cork?.();
    for (const t of texts)
      if (typeof t === 'string') stream.write(t, utf8Encoding(t));
      else stream.write(t);
    stream.uncork?.();
  };
  // Lines dropped since stdout stopped taking them (CONSOLE_BACKLOG_MAX); said in one line once it has caught up.
  let dropped = 0;
  const queued = (): number => (out as Partial<Writable>).writableLength ?? 0;
  const gather = (text: string | Buffer): void => {
    gathered.push(text);
    size += text.length;
  };
  const sayDropped = (): void => {
    if (dropped === 0) return;
    gather(droppedNotice(dropped, f.json));
    dropped = 0;
  };
  // One event's texts, all or none: a JSON line's head, body and tail go together.
  const offer = (texts: Array<string | Buffer>): void => {
    let bytes = 0;
    for (const t of texts) bytes += t.length;
    // Over the cap with lines gathered: they go to the stream first, which then says whether it is keeping up.
    if (dropped === 0 && size > 0 && queued() + size + bytes > CONSOLE_BACKLOG_MAX) writeGathered();
    // Only a stream that asked to be waited for is (it will say 'drain'): a lone long line to an idle stream goes.
    const behind = (out as Partial<Writable>).writableNeedDrain === true && queued() + size + bytes > CONSOLE_BACKLOG_MAX;
    if (dropped > 0 || behind) {
      // 'drain' comes when the stream's queue is empty: everything before the drop was written, the notice is next.
      if (dropped === 0)
        (out as Partial<Writable>).once?.('drain', () => {
          sayDropped();
          endOfTurn();
        });
      dropped += newlines(texts);
      return;
    }
    texts.forEach(gather);
  };
  const format = (): void => {
    if (pending.length === 0) return;
    const events = pending;
    pending = [];
    for (const event of events) {
      if (formatter.pieces) {
        offer(formatter.pieces(event));
        continue;
      }
      const text = formatter.format(event);
      if (text !== '') offer([text]);
    }
  };
  const writeGathered = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (gathered.length === 0) return;
    // Taken before writing: a write may come back here (the REPL writes the console's lines before its own).
    const texts = gathered;
    gathered = [];
    size = 0;
    lastWrite = performance.now();
    let from = 0;
    let batch = 0;
    for (let i = 0; i < texts.length; i++) {
      if (batch > 0 && batch + texts[i]!.length > WRITE_BATCH) {
        write(texts.slice(from, i));
        from = i;
        batch = 0;
      }
      batch += texts[i]!.length;
    }
    write(texts.slice(from));
  };
  const endOfTurn = (): void => {
    format();
    if (gathered.length === 0) return;
    const wait = lastWrite + GATHER_MS - performance.now();
    if (wait <= 0 || size >= MAX_GATHERED) writeGathered();
    else timer ??= setTimeout(writeGathered, wait);
  };
  const flush = (): void => {
    format();
    writeGathered();
  };
  flushes.set(out, flush);
  const off = on((event) => {
    if (pending.length === 0) setImmediate(endOfTurn);
    pending.push(event);
  });
  return () => {
    off();
    flush();
    if (flushes.get(out) === flush) flushes.delete(out);
    const held = formatter.drain();
    if (held !== '') write([held]);
    // Stopping with lines still dropped (stdout never caught up): the count is the last thing written.
    if (dropped > 0) write([droppedNotice(dropped, f.json)]);
    dropped = 0;
  };
}
