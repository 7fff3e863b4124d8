// `xmpp-emu messages [--follow]`: what the app sent, then (with --follow) every event live, in one shape and one
// filter for both, with no gap or repeat between the backlog and the live feed.
import type { EmulatorEvent, OutboxEntry } from '../core/events.js';
import { compileFilter, type OutboxFilter } from '../core/outbox.js';
import type { RemoteControl } from '../control/remote.js';
import { consoleFormatter, type ConsoleFormat, type ConsoleFormatter } from './printer.js';

export interface MessagesOptions {
  control: RemoteControl;
  filter: OutboxFilter;
  follow: boolean;
  format: ConsoleFormat;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  /** resolves when the user asks to stop (Ctrl-C); installed before anything is printed */
  stopped: Promise<void>;
}

/** A captured entry as the live feed carries it, so the backlog and the feed print alike (`seq` null: not live). */
function asEvent(entry: OutboxEntry): EmulatorEvent {
  return { type: 'sent', entry, seq: null as unknown as number, time: entry.time };
}

/**
 * Resolves with the exit code: 0 after the backlog, or after Ctrl-C when following; 1 when the emulator closed the
 * feed. With a filter, only what the app sent and the filter matches is printed, live as in the backlog.
 */
export async function showMessages(o: MessagesOptions): Promise<number> {
  const filtered = Object.values(o.filter).some((v) => v !== undefined);
  // The backlog's replies are printed at once: their deliveries' lines are past and never come. Live replies wait
  // for their delivery's line only when that line will be printed (no filter hides it).
  const listed = consoleFormatter({ ...o.format, holdReplies: false });
  const live = filtered ? listed : consoleFormatter(o.format);
  const matches = compileFilter(o.filter);
  const print = (e: EmulatorEvent, formatter: ConsoleFormatter): void => {
    if (filtered && (e.type !== 'sent' || !matches(e.entry))) return;
    o.out.write(formatter.format(e));
  };
  const show = (e: EmulatorEvent): void => print(e, live);
  const showListed = (entry: OutboxEntry): void => print(asEvent(entry), listed);
  if (!o.follow) {
    for (const entry of await o.control.outbox(o.filter)) showListed(entry);
    return 0;
  }
  // The feed opens first and holds what arrives while the backlog is read; entries already in the backlog are not
  // printed twice.
  let held: EmulatorEvent[] | null = [];
  let closedBy: string | null = null;
  let feedClosed!: () => void;
  const ended = new Promise<void>((resolve) => (feedClosed = resolve));
  const close = await o.control.openFeed(
    (e) => (held ? held.push(e) : show(e)),
    (why) => {
      closedBy = why;
      feedClosed();
    },
  );
  const backlog = await o.control.outbox(o.filter);
  backlog.forEach(showListed);
  const lastId = backlog.at(-1)?.id ?? 0;
  for (const e of held) if (e.type !== 'sent' || e.entry.id > lastId) show(e);
  held = null;
  o.err.write(`following live events from ${o.control.base}/v1/events (Ctrl-C to stop)\n`);
  const byUser = await Promise.race([o.stopped.then(() => true), ended.then(() => false)]);
  o.out.write(live.drain());
  if (byUser) {
    close();
    return 0;
  }
  o.err.write(`xmpp-emu: the emulator closed the live feed (${closedBy})\n`);
  return 1;
}
