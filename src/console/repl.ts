// The REPL: a line is a message to the app from the current user; dot-commands switch user, set presence, inject.
import fs from 'node:fs';
import readline from 'node:readline';
import type { ChalkInstance } from 'chalk';
import type { DeliveryResult, EmulatorEvent, OutboxEntry } from '../core/events.js';
import type { ControlPort } from '../control/port.js';
import { chalkFor } from './printer.js';
import { formatLine } from './line.js';
import { describeClock, type ClockChange } from '../domain/clock.js';
import { describeRule, type FaultRuleInput } from '../domain/faults.js';
import { describeListing, describePresence } from '../domain/presence.js';
import { parseJid } from '../domain/jid.js';
import {
  INBOUND_PRESENCE_WORDS,
  MESSAGE_TYPES,
  PRESENCE_WORDS,
  SUBSCRIPTION_TYPES,
  inboundPresenceFromWord,
  isOneOf,
  presenceFromWord,
} from '../domain/vocabulary.js';

export interface ReplOptions {
  control: ControlPort;
  /** where replies come from; default control.onEvent (the `repl` command passes a feed it has already connected) */
  events?: ControlPort['onEvent'];
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** the app's default address */
  appJid: string;
  from?: string;
  to?: string;
  /** file where lines are kept across sessions; null for none */
  historyFile: string | null;
  /**
   * true when a console printer already shows every event (`start`): the REPL then prints only what no event
   * says. false for `xmpp-emu repl`, which prints the app's replies and each result itself.
   */
  console: boolean;
  /** called before the REPL writes anything (a line, its prompt): `start` writes out the console's gathered lines */
  beforeOutput?: () => void;
  color: boolean;
  terminal: boolean;
}

export const REPL_COMMANDS: Record<string, string> = {
  '.help': 'show this help',
  '.from': '.from JID            talk as this user',
  '.to': '.to JID              talk to this app address',
  '.type': `.type ${MESSAGE_TYPES.filter(Boolean).join('|')}|""   message type of the lines you type`,
  '.presence': '.presence JID STATE [STATUS]   set fake presence (available, unavailable, away, chat, dnd, xa)',
  '.who': 'list fake presence and the connected XMPP clients',
  '.inject': `.inject presence [${INBOUND_PRESENCE_WORDS.join('|')}] [STATUS] | subscription ${SUBSCRIPTION_TYPES.join('|')} | error [STANZA]   as the current user`,
  '.outbox': '.outbox [N]          the last N things the app sent (default 10)',
  '.clear': 'forget the outbox',
  '.fault': '.fault [RULE-JSON | remove ID | clear]   list the fault rules, add one ({"status":"OTHER_ERROR","jid":"bob@*"}), remove',
  '.clock': '.clock [freeze | resume | +MS | ISO-TIME]   show the clock, or freeze, advance or set it',
  '.history': 'lines typed in earlier sessions',
  '.exit': 'leave',
};

const JID_COMMANDS = ['.from', '.to', '.presence'];
/** Deliveries whose replies are held, and of our own remembered, at most. */
const MAX_HELD = 1000;
const HISTORY_KEEP = 500;

/** Tab completion: command names after a dot, known JIDs after a command that takes one. Pure. */
export function complete(line: string, jids: Iterable<string>): [string[], string] {
  const words = line.split(' ');
  if (words.length === 1 && line.startsWith('.')) {
    const hits = Object.keys(REPL_COMMANDS).filter((c) => c.startsWith(line));
    return [hits, line];
  }
  if (words.length === 2 && JID_COMMANDS.includes(words[0]!)) {
    const partial = words[1]!;
    return [[...new Set(jids)].filter((j) => j.startsWith(partial)).sort(), partial];
  }
  if (words.length === 2 && words[0] === '.inject') {
    return [['presence', 'subscription', 'error'].filter((k) => k.startsWith(words[1]!)), words[1]!];
  }
  return [[], line];
}

function loadHistory(file: string | null): string[] {
  if (!file) return [];
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(-HISTORY_KEEP);
  } catch {
    return [];
  }
}

export interface Repl {
  /** print a line above the prompt without garbling what the user is typing */
  print(text: string): void;
  /** resolves when the user leaves (.exit, Ctrl-D, end of input) */
  closed: Promise<void>;
  close(): void;
}

export function startRepl(o: ReplOptions): Repl {
  const c: ChalkInstance = chalkFor(o.color);
  const history = loadHistory(o.historyFile);
  const known = new Set<string>([o.appJid]);
  let from = o.from ?? 'alice@example.com/desktop';
  let to = o.to ?? o.appJid;
  let type = 'chat';
  known.add(from);

  const rl = readline.createInterface({
    input: o.input,
    output: o.output,
    terminal: o.terminal,
    history: [...history].reverse(),
    historySize: HISTORY_KEEP,
    completer: (line: string) => complete(line, known),
    prompt: '',
  });
  // Ctrl-C leaves, as Ctrl-D and .exit do.
  rl.on('SIGINT', () => rl.close());
  const prompt = (): void => {
    if (!o.terminal) return;
    o.beforeOutput?.();
    rl.setPrompt(c.bold(`${from} → ${to}> `));
    rl.prompt(true);
  };
  const print = (text: string): void => {
    o.beforeOutput?.();
    if (o.terminal) {
      readline.clearLine(o.output as NodeJS.WritableStream & { isTTY?: boolean } as never, 0);
      readline.cursorTo(o.output as never, 0);
    }
    o.output.write(`${text}\n`);
    prompt();
  };

  // Replies go under the line that caused them: while one of our injections is in flight, what the app sends in
  // reply to a delivery not yet reported is held until that injection returns (its reply may arrive on the feed
  // before or after the injection's own answer, and may come after it: an app can reply late).
  const held = new Map<string, OutboxEntry[]>();
  const ours = new Set<string>();
  let inFlight = 0;
  const showSent = (m: OutboxEntry, under: boolean): void => {
    const lead = under ? `  ${c.dim('↳')} ` : '';
    if (m.kind === 'message') print(`${lead}${c.cyan(`${m.from} → ${m.to.join(', ')}:`)} ${m.body}`);
    else if (m.kind === 'invite') print(`${lead}${c.cyan(`${m.from} invited ${m.to.join(', ')}`)}`);
    else print(`${lead}${c.cyan(`${m.from} sent presence ${m.type || 'available'}${m.show ? ` (${m.show})` : ''} to ${m.to.join(', ')}`)}`);
  };
  const offEvents = (o.events ?? ((l) => o.control.onEvent(l)))((e: EmulatorEvent) => {
    if (e.type !== 'sent') return;
    e.entry.to.forEach((j) => known.add(j));
    if (o.console) return;
    const cause = e.entry.in_reply_to;
    if (cause !== null && ours.has(cause)) showSent(e.entry, true);
    else if (cause !== null && inFlight > 0 && held.size < MAX_HELD) held.set(cause, [...(held.get(cause) ?? []), e.entry]);
    else showSent(e.entry, false);
  });

  /** A delivery's result, unless the console already printed it. */
  const report = (r: DeliveryResult, always: boolean): void => {
    if (o.console || (!always && r.delivered)) return;
    print(formatLine({ type: 'delivered', result: r, seq: 0, time: new Date().toISOString() }, c, Number.MAX_SAFE_INTEGER));
  };

  /** Inject, report, then print the replies held for it under it; replies to anyone else's delivery go out as they were. */
  const injectAndReport = async (inject: () => Promise<DeliveryResult>, always: boolean): Promise<void> => {
    inFlight++;
    try {
      const r = await inject();
      report(r, always);
      ours.add(r.id);
      if (ours.size > MAX_HELD) ours.delete(ours.values().next().value!);
      for (const m of held.get(r.id) ?? []) showSent(m, true);
      held.delete(r.id);
    } finally {
      if (--inFlight === 0) {
        for (const group of held.values()) group.forEach((m) => showSent(m, false));
        held.clear();
      }
    }
  };

  const say = (line: string): Promise<void> => injectAndReport(() => o.control.injectMessage({ from, to, body: line, type }), false);

  /** One JID, checked when it is typed rather than at the next send. */
  const readJid = (args: string[], what: string): string | null => {
    if (args.length > 1) {
      print(c.red(`${what} takes one JID without spaces, not "${args.join(' ')}"`));
      return null;
    }
    const r = parseJid(args[0]);
    if (!r.ok) print(c.red(`"${args[0]}" is not a valid JID: ${r.reason}`));
    return r.ok ? args[0]! : null;
  };

  // History is a convenience: a file that cannot be written is said once and then left alone, never a failed line.
  let historyFile = o.historyFile;
  const remember = (line: string): void => {
    if (!historyFile || !line.trim()) return;
    try {
      fs.appendFileSync(historyFile, `${line.replace(/\n/g, ' ')}\n`);
    } catch (e) {
      print(c.yellow(`history is not kept: cannot write ${historyFile} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`));
      historyFile = null;
    }
  };

  const handle = async (line: string): Promise<boolean> => {
    remember(line);
    if (!line.startsWith('.') || line.startsWith('..')) {
      // ".." escapes a line that really starts with a dot.
      if (line.trim()) await say(line.startsWith('..') ? line.slice(1) : line);
      return true;
    }
    const [cmd, ...args] = line.trim().split(/\s+/);
    const rest = line.trim().slice(cmd!.length).trim();
    switch (cmd) {
      case '.help':
        print(
          [
            'Type a line to send it to the app. Commands:',
            ...Object.values(REPL_COMMANDS).map((h, i) => `  ${Object.keys(REPL_COMMANDS)[i]!.padEnd(10)} ${h}`),
          ].join('\n'),
        );
        break;
      case '.from':
      case '.to': {
        if (!args[0]) {
          print(`${cmd.slice(1)}: ${cmd === '.from' ? from : to}`);
          break;
        }
        const jid = readJid(args, cmd);
        if (!jid) break;
        if (cmd === '.from') from = jid;
        else to = jid;
        known.add(jid);
        print(c.dim(`now ${from} → ${to}`));
        break;
      }
      case '.type':
        if (args[0] === undefined) print(`type: ${type}`);
        else if (!(MESSAGE_TYPES as readonly string[]).includes(args[0] === '""' ? '' : args[0])) {
          print(c.red(`message type "${args[0]}" is not one of ${MESSAGE_TYPES.filter(Boolean).join(', ')}, "" (none)`));
        } else {
          type = args[0] === '""' ? '' : args[0];
          print(c.dim(`messages are now of type ${type || '(none)'}`));
        }
        break;
      case '.presence': {
        if (args.length < 2) {
          print('usage: .presence JID STATE [STATUS]');
          break;
        }
        const word = presenceFromWord(args[1]!);
        if (!word) {
          print(`unknown state ${args[1]}; use ${PRESENCE_WORDS.join(', ')}`);
          break;
        }
        const p = await o.control.setPresence(args[0]!, { ...word, status: args.slice(2).join(' ') });
        known.add(args[0]!);
        if (!o.console) print(c.magenta(`${args[0]}: ${describePresence(p)}`));
        break;
      }
      case '.who': {
        const list = await o.control.listPresence();
        print(describeListing(list).join('\n'));
        break;
      }
      case '.inject': {
        const [kind, word, ...more] = args;
        let inject: () => Promise<DeliveryResult>;
        if (kind === 'presence') {
          const w = word ?? 'available';
          const presence = inboundPresenceFromWord(w);
          if (!presence) {
            print(c.red(`.inject presence takes ${INBOUND_PRESENCE_WORDS.join(', ')}, not "${w}"`));
            break;
          }
          inject = () => o.control.injectPresence({ from, to, ...presence, ...(more.length ? { status: more.join(' ') } : {}) });
        } else if (kind === 'subscription') {
          if (word !== undefined && !isOneOf(word, SUBSCRIPTION_TYPES)) {
            print(c.red(`.inject subscription takes ${SUBSCRIPTION_TYPES.join(', ')}, not "${word}"`));
            break;
          }
          inject = () => o.control.injectSubscription({ from, to, type: (word ?? 'subscribe') as 'subscribe' });
        } else if (kind === 'error') {
          const stanza = rest.slice('error'.length).trim();
          inject = () => o.control.injectError({ from, to, ...(stanza ? { stanza } : {}) });
        } else {
          print('usage: .inject presence [TYPE|SHOW] [STATUS] | subscription TYPE | error [STANZA]');
          break;
        }
        await injectAndReport(inject, true);
        break;
      }
      case '.outbox': {
        const n = Number(args[0] ?? 10);
        const entries = (await o.control.outbox()).slice(-(Number.isInteger(n) && n > 0 ? n : 10));
        print(
          entries.length
            ? entries.map((e) => `  #${e.id} ${e.kind} ${e.from} → ${e.to.join(', ')}${e.body !== undefined ? `: ${e.body}` : ''}`).join('\n')
            : '  (the outbox is empty)',
        );
        break;
      }
      case '.clear': {
        const n = await o.control.clearOutbox();
        if (!o.console) print(c.dim(`forgot ${n} entries`));
        break;
      }
      case '.fault': {
        if (!rest) {
          const rules = await o.control.listFaults();
          print(rules.length ? rules.map((r) => `  ${describeRule(r)}`).join('\n') : '  (no fault rules)');
        } else if (rest === 'clear') print(c.dim(`removed ${await o.control.clearFaults()} fault rules`));
        else if (args[0] === 'remove' && args[1]) {
          await o.control.removeFault(args[1]);
          print(c.dim(`removed ${args[1]}`));
        } else {
          let rule: FaultRuleInput;
          try {
            rule = JSON.parse(rest) as FaultRuleInput;
          } catch {
            print('usage: .fault {"call":"send_message","status":"OTHER_ERROR","jid":"bob@*"} | .fault remove ID | .fault clear');
            break;
          }
          for (const r of await o.control.addFault(rule)) print(c.yellow(describeRule(r)));
        }
        break;
      }
      case '.clock': {
        const change: ClockChange | undefined = !rest
          ? undefined
          : rest === 'freeze'
            ? { freeze: true }
            : rest === 'resume'
              ? { resume: true }
              : /^\+\d+$/.test(rest)
                ? { advance_ms: Number(rest.slice(1)) }
                : { set: rest };
        print(c.dim(`clock: ${describeClock(await o.control.setClock(change))}`));
        break;
      }
      case '.history':
        print(history.length ? history.map((h) => `  ${h}`).join('\n') : '  (no earlier lines)');
        break;
      case '.exit':
        return false;
      default:
        print(`unknown command ${cmd}; .help lists them (start a message with .. to send a line beginning with a dot)`);
    }
    return true;
  };

  const closed = (async () => {
    prompt();
    for await (const line of rl) {
      let go = true;
      try {
        go = await handle(line);
      } catch (e) {
        print(c.red(`error: ${(e as Error).message}`));
      }
      if (!go) break;
      prompt();
    }
    offEvents();
    rl.close();
  })();
  print(c.dim(`REPL: you are ${from}, talking to ${to}. Type a message, or .help`));
  return { print, closed, close: () => rl.close() };
}
