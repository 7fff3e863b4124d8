// The CLI: maps flags onto one options object and calls the same startEmulator() and control API the tests use.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Command, CommanderError, Option } from 'commander';
import { banner, readyLine } from './console/banner.js';
import { chalkFor, CONSOLE_WIDTH, consoleFormatter, flushConsole, type ConsoleFormat } from './console/printer.js';
import { showMessages } from './console/messages.js';
import { watchApp } from './console/app-probe.js';
import { startRepl, type Repl } from './console/repl.js';
import { RemoteControl, DEFAULT_EMULATOR } from './control/remote.js';
import { runConversation } from './control/conversation-runner.js';
import { collectReplies, DEFAULT_REPLY_WINDOW_MS } from './control/replies.js';
import { replayTranscript } from './control/replay-runner.js';
import { appAddresses, defaultAppJid, routeInbound } from './domain/addresses.js';
import { closest } from './domain/suggest.js';
import { parseConversation } from './domain/conversation.js';
import { formatDifference } from './domain/replay.js';
import { describeListing, describePresence } from './domain/presence.js';
import { BadRequestError, isUserMistake } from './domain/errors.js';
import { OUTBOX_KINDS, PRESENCE_WORDS, presenceFromWord } from './domain/vocabulary.js';
import type { DeliveryResult, EmulatorEvent } from './core/events.js';
import { startEmulator, type RunningEmulator } from './core/start.js';
import { CONFIG_FILE, loadOptions, parsePort, parseSeed, type OptionsInput } from './options.js';

export interface CliIO {
  stdout: NodeJS.WriteStream | NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

// The package's own package.json, by name, so it is found from dist/ and from the test build alike.
const VERSION = (createRequire(import.meta.url)('xmpp-emu/package.json') as { version: string }).version;

function collectVersion(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new BadRequestError(`--version expects NAME=URL, not "${value}"`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

function addStartOptions(cmd: Command): Command {
  return cmd
    .option('--host <host>', 'address to listen on (env XMPP_EMU_HOST)', undefined)
    .option('--port <port>', 'port; 0 picks a free one (env XMPP_EMU_PORT; default 8095)')
    .option('--app-url <url>', 'the local app, default version (env XMPP_EMU_APP_URL; default http://localhost:8080)')
    .option('--app-id <id>', "the app's id (env XMPP_EMU_APP_ID; default from app.yaml, else dev-app)")
    .option('--app-yaml <file>', 'app.yaml to read inbound_services from; watched (env XMPP_EMU_APP_YAML; default ./app.yaml if present)')
    .option('--version <name=url>', 'a non-default version of the app and where it runs (repeatable)', collectVersion)
    .option('--presence <file>', 'presence fixture (JSON); watched (env XMPP_EMU_PRESENCE)')
    .addOption(new Option('--default-presence <state>', 'presence of JIDs not configured otherwise').choices(PRESENCE_WORDS))
    .option(
      '--lenient-presence',
      'report presence for every JID, subscribed or not (env XMPP_EMU_LENIENT_PRESENCE; default: only subscribed JIDs, as production did)',
    )
    .option('--strict-presence', 'report presence only for JIDs subscribed to the app, as production did (the default; overrides the env and config file)')
    .option(
      '--offline-errors',
      'a message to an unavailable user comes back as an error stanza to /_ah/xmpp/error/, as production did (env XMPP_EMU_OFFLINE_ERRORS)',
    )
    .option('--record <file>', 'append every event to FILE as one JSON line')
    .option('--json', 'print one JSON object per line instead of the human format')
    .addOption(
      new Option('--console <style>', "human format: one line per event, or the old dev server's blocks (env XMPP_EMU_CONSOLE; default lines)").choices([
        'lines',
        'devserver',
      ]),
    )
    .option('--delivery-timeout <ms>', 'how long an inbound POST to the app may take (default 10000)')
    .option('--max-loop-depth <n>', 'break a chain of the app messaging its own addresses past this depth (default 16; env XMPP_EMU_MAX_LOOP_DEPTH)')
    .option('--outbox-cap <n>', 'how many sent entries are kept before the oldest are dropped (default 10000)')
    .option('--outbox-max-bytes <n>', 'how many bytes of sent entries are kept before the oldest are dropped (default 268435456)')
    .option('--no-ui', 'do not serve the web console at / (env XMPP_EMU_NO_UI=1)')
    .option('--xmpp-port <port>', 'XMPP client port (TCP, STARTTLS); 0 picks a free one (env XMPP_EMU_XMPP_PORT; default 5222, or 0 with --port 0)')
    .option('--no-xmpp', 'no XMPP endpoints for real clients (env XMPP_EMU_NO_XMPP=1)')
    .option('--xmpp-users <file>', 'JSON file of JID → password; only those users may sign in (env XMPP_EMU_XMPP_USERS; default: anyone, any password)')
    .option('--xmpp-cert <file>', 'PEM certificate for STARTTLS, e.g. from mkcert (env XMPP_EMU_XMPP_CERT; default: generated in the state dir)')
    .option('--xmpp-key <file>', 'PEM key of --xmpp-cert (env XMPP_EMU_XMPP_KEY)')
    .option('--state-dir <dir>', 'where the generated certificate is kept (env XMPP_EMU_STATE_DIR; default ~/.local/state/xmpp-emu)')
    .option('--seed <n>', 'seed every random choice (fault probabilities, delivery ids) to repeat a run (default: drawn, shown in /v1/info)')
    .option('--config <file>', `config file (default ./${CONFIG_FILE} if present)`);
}

function positiveInt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new BadRequestError(`${flag} must be a positive whole number, not "${v}"`);
  return n;
}

/** 0 or more, at most `max`. */
function wholeNumber(v: string, flag: string, max: number): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < 0 || n > max) throw new BadRequestError(`${flag} must be a whole number from 0 to ${max}, not "${v}"`);
  return n;
}

/** The longest --wait: the control API's longest wait. */
const MAX_REPLY_WINDOW_MS = 10 * 60_000;

interface StartFlags {
  host?: string;
  port?: string;
  appUrl?: string;
  appId?: string;
  appYaml?: string;
  version?: Record<string, string>;
  presence?: string;
  defaultPresence?: string;
  lenientPresence?: boolean;
  strictPresence?: boolean;
  offlineErrors?: boolean;
  record?: string;
  json?: boolean;
  deliveryTimeout?: string;
  maxLoopDepth?: string;
  outboxCap?: string;
  outboxMaxBytes?: string;
  config?: string;
  repl?: boolean;
  console?: string;
  ui?: boolean;
  xmppPort?: string;
  xmpp?: boolean;
  xmppUsers?: string;
  xmppCert?: string;
  xmppKey?: string;
  stateDir?: string;
  seed?: string;
}

function flagsToInput(f: StartFlags): OptionsInput {
  const input: OptionsInput = {
    host: f.host,
    appUrl: f.appUrl,
    appId: f.appId,
    appYaml: f.appYaml,
    versions: f.version,
    presenceFile: f.presence,
    defaultPresence: f.defaultPresence as OptionsInput['defaultPresence'],
    lenientPresence: f.strictPresence ? false : f.lenientPresence,
    offlineErrors: f.offlineErrors,
    record: f.record,
    json: f.json,
    consoleStyle: f.console as OptionsInput['consoleStyle'],
    deliveryTimeoutMs: positiveInt(f.deliveryTimeout, '--delivery-timeout'),
    maxLoopDepth: positiveInt(f.maxLoopDepth, '--max-loop-depth'),
    outboxCap: positiveInt(f.outboxCap, '--outbox-cap'),
    outboxMaxBytes: positiveInt(f.outboxMaxBytes, '--outbox-max-bytes'),
    port: f.port === undefined ? undefined : parsePort(f.port, '--port'),
    // commander sets ui to true unless --no-ui is given; only the flag itself may override env and file.
    ui: f.ui === false ? false : undefined,
    xmppPort: f.xmppPort === undefined ? undefined : parsePort(f.xmppPort, '--xmpp-port'),
    // commander sets xmpp to true when --no-xmpp is absent; only the flag itself may override env and file.
    xmpp: f.xmpp === false ? false : undefined,
    xmppUsers: f.xmppUsers,
    xmppCert: f.xmppCert,
    xmppKey: f.xmppKey,
    stateDir: f.stateDir,
    seed: f.seed === undefined ? undefined : parseSeed(f.seed, '--seed'),
  };
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as OptionsInput;
}

function resolveStart(f: StartFlags, io: CliIO, extra: OptionsInput = {}) {
  return loadOptions({ flags: { ...flagsToInput(f), ...extra }, env: io.env, ...(f.config ? { configFile: f.config } : {}) });
}

/** --emulator, else XMPP_EMULATOR_HOST, else where `start` would listen here (XMPP_EMU_*, the config file), else the default. */
function emulatorAddress(flag: string | undefined, io: CliIO): string {
  const given = flag ?? io.env.XMPP_EMULATOR_HOST;
  if (given) return given;
  const o = resolveStart({}, io);
  return o.port === 0 ? DEFAULT_EMULATOR : `${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`;
}

function isTty(s: unknown): boolean {
  return (s as { isTTY?: boolean }).isTTY === true;
}

function colorFor(s: unknown): boolean {
  return isTty(s) && (s as NodeJS.WriteStream).hasColors?.() === true;
}

/** One line per event, coloured and cut to the width on a terminal. */
function consoleFormat(s: unknown, json: boolean): ConsoleFormat {
  return { json, style: 'lines', color: colorFor(s), width: (s as NodeJS.WriteStream).columns ?? CONSOLE_WIDTH };
}

async function runStart(flags: StartFlags, io: CliIO): Promise<number | undefined> {
  const options = resolveStart(flags, io, { console: true });
  const color = colorFor(io.stdout);
  // Console lines go through the REPL once it is open, so they do not garble the line being typed.
  let repl: Repl | null = null;
  // A reader that goes away (`start --json | head -1`) ends the output, never the service.
  let outputGone = false;
  io.stdout.on('error', () => (outputGone = true));
  // A chunk counts as written once stdout has written it, so this stream's queue (writableLength, 'drain') is what
  // stdout has not written yet: the printer bounds it (CONSOLE_BACKLOG_MAX) and `stop` waits for it.
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (repl) repl.print(String(chunk).replace(/\n$/, ''));
      else if (!outputGone) return void io.stdout.write(chunk, () => cb());
      cb();
    },
  });
  const em = await startEmulator({ ...options, stdout: out, color });
  // The console gathers its lines under load (console/printer.ts): whatever else is written goes after them, and
  // what is gathered when the process exits (an uncaught error included) is written first.
  const flush = (): void => flushConsole(out);
  process.once('exit', flush);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    em.close().then(
      () => exitWhenWritten(out, io, 0),
      (e: Error) => {
        flush();
        io.stderr.write(`xmpp-emu: the emulator did not close cleanly: ${e.message}\n`);
        exitWhenWritten(out, io, 1);
      },
    );
  };
  // Handlers go in before the ready line: whoever reads it may signal at once.
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // The banner names the default get_presence really answers: a presence file's "default" wins over the option.
  const fileDefault = (await em.listPresence()).default;
  const info = { ...em.info(), default_presence: fileDefault.available ? fileDefault.show || 'available' : 'unavailable' } as ReturnType<typeof em.info>;
  flush();
  io.stdout.write(options.json ? `${readyLine(em.info())}\n` : banner(info, VERSION, chalkFor(color), await em.xmppCertificate().catch(() => null)));
  const c = chalkFor(color);
  watchApp(options.appUrl, (line, answers) => {
    flush();
    out.write(
      options.json ? `${JSON.stringify({ event: 'app', url: options.appUrl, answers, message: line })}\n` : `${(answers ? c.green : c.yellow)(line)}\n`,
    );
  });
  const wantRepl = flags.repl === false ? false : isTty(io.stdin) && !options.json;
  if (wantRepl) {
    repl = startRepl({
      control: em,
      input: io.stdin,
      output: io.stdout,
      appJid: defaultAppJid(options.appId),
      historyFile: historyFile(io),
      console: true,
      beforeOutput: flush,
      color,
      terminal: true,
    });
    repl.closed.then(stop, stop);
  }
  return undefined;
}

/** How long `stop` waits for a slow reader of stdout (or stderr) to take the console's last lines. */
const EXIT_DRAIN_MS = 5000;

/**
 * Exit once stdout and stderr have written what they were given: process.exit drops what Node still queues for a
 * pipe whose reader is slow (`start --json | jq`). A reader that does not catch up within EXIT_DRAIN_MS is not waited
 * for longer; stderr says how much was not written.
 */
function exitWhenWritten(lines: Writable, io: CliIO, code: number): void {
  const timer = setTimeout(() => {
    const bytes = lines.writableLength + ((io.stdout as Partial<Writable>).writableLength ?? 0);
    io.stderr.write(`xmpp-emu: stdout was not read for ${EXIT_DRAIN_MS / 1000} s; exiting with ${bytes} bytes of console output not written\n`, () =>
      process.exit(code),
    );
  }, EXIT_DRAIN_MS);
  // end() finishes once every console chunk was written by stdout; an empty write's callback comes after what each
  // stream already queued (the banner, the REPL's output, the close-failure message).
  let waiting = 3;
  const written = (): void => {
    if (--waiting > 0) return;
    clearTimeout(timer);
    process.exit(code);
  };
  lines.end(written);
  io.stdout.write('', written);
  io.stderr.write('', written);
}

function historyFile(io: CliIO, flag?: string): string {
  return flag ?? io.env.XMPP_EMU_HISTORY ?? path.join(os.homedir(), '.xmpp_emu_history');
}

interface MessagesFlags {
  follow?: boolean;
  json?: boolean;
  to?: string;
  from?: string;
  contains?: string;
  kind?: 'message';
  inReplyTo?: string;
  emulator?: string;
}

/**
 * The delivery, then each reply the app sent while handling it, indented under it as it comes (`--json`: one object,
 * the result with `replies`, once the window has passed). Exit 0 only when the app answered 2xx.
 */
async function sendAndListen(io: CliIO, client: RemoteControl, r: DeliveryResult, windowMs: number, json: boolean): Promise<number> {
  if (json) {
    const replies = await collectReplies(client, r, windowMs);
    io.stdout.write(`${JSON.stringify({ ...r, replies })}\n`);
  } else {
    const f = consoleFormatter(consoleFormat(io.stdout, false));
    io.stdout.write(f.format({ type: 'delivered', result: r, seq: 0, time: new Date().toISOString() }));
    await collectReplies(client, r, windowMs, (entry) => io.stdout.write(f.format({ type: 'sent', entry, seq: 0, time: entry.time })));
  }
  return r.delivered ? 0 : 1;
}

/** `--to` must be one of the app's addresses: a typo is a user mistake, with the nearest address offered. */
async function checkAppAddress(control: RemoteControl, to: string): Promise<void> {
  const info = await control.info();
  const app = { appId: info.app_id, versions: Object.keys(info.versions) };
  const route = routeInbound(to, app);
  if (route.ok) return;
  const local = to.includes('@') ? to.slice(0, to.indexOf('@')) : 'bot';
  const candidates = appAddresses(app).map((a) => a.replace(/^ANYTHING@/, `${local}@`));
  const guess = closest(to, candidates);
  throw new BadRequestError(`--to ${route.reason}${guess ? `; did you mean ${guess}?` : ''}`);
}

export function buildProgram(io: CliIO, result: { code: number | undefined } = { code: 0 }): Command {
  const program = new Command('xmpp-emu')
    .description("A local emulator of Google App Engine's XMPP service: capture what your bot sends, inject what it receives.")
    .version(VERSION, '-V, --version', 'print the version')
    .enablePositionalOptions()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // Commander's own errors (unknown option, missing argument, bad choice) in the CLI's one-line style.
      outputError: (s, write) =>
        write(
          `xmpp-emu: ${s
            .replace(/^error: /, '')
            .trimEnd()
            .replace(/\s*\n\s*/g, ' ')} (xmpp-emu --help lists the commands)\n`,
        ),
    })
    .exitOverride();
  const emulatorOption = (cmd: Command): Command =>
    cmd.option('--emulator <host:port>', `the running emulator (default $XMPP_EMULATOR_HOST, else ${DEFAULT_EMULATOR})`);
  const done = (c: number | undefined): void => {
    result.code = c;
  };

  addStartOptions(program.command('start').description('run the emulator beside your app (opens a REPL when stdin is a terminal)'))
    .option('--no-repl', 'do not open the REPL')
    .action(async (f: StartFlags) => done(await runStart(f, io)));

  emulatorOption(program.command('send').description('inject one chat message into the app; exit 0 only when the app answered 2xx'))
    .requiredOption('--from <jid>', 'the sender')
    .option('--to <jid>', "the app address it is sent to (default the app's APP_ID@appspot.com)")
    .option('--type <type>', 'message type: chat, normal, or another to see it refused', 'chat')
    .option('--json', 'print the result as JSON, with the replies')
    .option(
      '--wait <ms>',
      `after the app answers, how long to listen for replies it sends later (default ${DEFAULT_REPLY_WINDOW_MS}; 0: only those sent before)`,
    )
    .argument('<body>', 'the message text')
    .action(async (body: string, f: { from: string; to?: string; type: string; emulator?: string; json?: boolean; wait?: string }) => {
      if (body === '') throw new BadRequestError('the message body is empty; give the text to send, e.g. xmpp-emu send --from alice@example.com hello');
      const windowMs = f.wait === undefined ? DEFAULT_REPLY_WINDOW_MS : wholeNumber(f.wait, '--wait', MAX_REPLY_WINDOW_MS);
      const client = new RemoteControl(emulatorAddress(f.emulator, io));
      if (f.to !== undefined) await checkAppAddress(client, f.to);
      const r = await client.injectMessage({ from: f.from, to: f.to, body, type: f.type });
      done(await sendAndListen(io, client, r, windowMs, f.json ?? false));
    });

  const presence = program.command('presence').description('read and set fake presence');
  emulatorOption(presence.command('set').description('set the presence get_presence reports for JID'))
    .argument('<jid>')
    .argument('<state>', 'available, unavailable, away, chat, dnd or xa')
    .option('--status <text>', 'status message')
    .addOption(new Option('--subscribed', 'mark the JID as subscribed to the app').conflicts('unsubscribed'))
    .option('--unsubscribed', 'mark the JID as not subscribed')
    .action(async (jid: string, state: string, f: { status?: string; subscribed?: boolean; unsubscribed?: boolean; emulator?: string }) => {
      const client = new RemoteControl(emulatorAddress(f.emulator, io));
      const word = presenceFromWord(state);
      if (!word) throw new BadRequestError(`state "${state}" is not one of ${PRESENCE_WORDS.join(', ')}`);
      const body: Record<string, unknown> = { ...word, status: f.status ?? '' };
      if (f.subscribed || f.unsubscribed) body.subscribed = !!f.subscribed;
      const p = await client.setPresence(jid, body);
      io.stdout.write(`${jid}: ${describePresence(p)}\n`);
      done(0);
    });
  emulatorOption(presence.command('list').description('list configured presence'))
    .option('--json', 'print JSON')
    .action(async (f: { json?: boolean; emulator?: string }) => {
      const list = await new RemoteControl(emulatorAddress(f.emulator, io)).listPresence();
      if (f.json) io.stdout.write(`${JSON.stringify(list)}\n`);
      else io.stdout.write(`${describeListing(list).join('\n')}\n`);
      done(0);
    });

  emulatorOption(program.command('messages').description('print what the app sent; --follow streams every event live'))
    .option('--follow', 'keep printing events as they happen')
    .option('--json', 'one JSON object per line')
    .option('--to <jid>')
    .option('--from <jid>')
    .option('--contains <text>')
    .addOption(new Option('--kind <kind>').choices(OUTBOX_KINDS))
    .option('--in-reply-to <id>', 'only what the app sent while handling this delivery (the id send --json prints)')
    .action(async (f: MessagesFlags) => {
      // Ctrl-C is caught before anything is printed, so whoever reads "following" may stop us at once.
      const stopped = new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      done(
        await showMessages({
          control: new RemoteControl(emulatorAddress(f.emulator, io)),
          filter: { to: f.to, from: f.from, contains: f.contains, kind: f.kind, in_reply_to: f.inReplyTo },
          follow: f.follow === true,
          format: consoleFormat(io.stdout, f.json === true),
          out: io.stdout,
          err: io.stderr,
          stopped,
        }),
      );
    });

  emulatorOption(program.command('repl').description('chat with your app from the terminal, against a running emulator'))
    .option('--from <jid>', "talk as this user (a full JID, as production's senders were)", 'alice@example.com/desktop')
    .option('--to <jid>', "talk to this app address (default the app's APP_ID@appspot.com)")
    .option('--history <file>', 'history file (default $XMPP_EMU_HISTORY, else ~/.xmpp_emu_history)')
    .action(async (f: { from: string; to?: string; history?: string; emulator?: string }) => {
      const client = new RemoteControl(emulatorAddress(f.emulator, io));
      const info = await client.info();
      // The feed is connected before the REPL greets, so no reply to the first line can be missed.
      const listeners = new Set<(e: EmulatorEvent) => void>();
      const closeFeed = await client.openFeed((e) => listeners.forEach((l) => l(e)));
      const repl = startRepl({
        control: client,
        events: (l) => (listeners.add(l), () => void listeners.delete(l)),
        input: io.stdin,
        output: io.stdout,
        appJid: defaultAppJid(info.app_id),
        from: f.from,
        to: f.to,
        historyFile: historyFile(io, f.history),
        console: false,
        color: colorFor(io.stdout),
        terminal: isTty(io.stdin) && isTty(io.stdout),
      });
      await repl.closed;
      closeFeed();
      done(0);
    });

  program
    .command('env')
    .description('print the line that points an app at the emulator')
    .option('--emulator <host:port>', 'the emulator (default $XMPP_EMULATOR_HOST, else from --host/--port and XMPP_EMU_*)')
    .option('--host <host>')
    .option('--port <port>')
    .action((f: { emulator?: string; host?: string; port?: string }) => {
      let hostPort = f.emulator ?? io.env.XMPP_EMULATOR_HOST;
      if (!hostPort) {
        const o = resolveStart({ host: f.host, port: f.port }, io);
        if (o.port === 0)
          throw new BadRequestError(
            'port 0 means a free port chosen when the emulator starts, so env cannot know it; give the port start printed, or --emulator HOST:PORT',
          );
        hostPort = `${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`;
      }
      const api = hostPort.match(/^(.*):(\d+)$/);
      io.stdout.write(`export XMPP_EMULATOR_HOST=${hostPort}\n${api ? `export API_HOST=${api[1]}\nexport API_PORT=${api[2]}\n` : ''}`);
      done(0);
    });

  addStartOptions(
    program
      .command('exec')
      .description(
        'start the emulator (on --port, default 8095; 0 for a free one), run CMD with XMPP_EMULATOR_HOST, API_HOST and API_PORT set, stop, exit with its code',
      ),
  )
    .option('--quiet', 'do not print emulator events (they go to stderr otherwise)')
    .argument('<cmd...>', 'the command, after --')
    .passThroughOptions()
    .action(async (cmd: string[], f: StartFlags & { quiet?: boolean }) => {
      // The port start would take (default 8095): an app started separately calls there. --port 0 for a free one.
      const options = resolveStart(f, io, { console: !f.quiet });
      const em = await startEmulator({ ...options, stdout: io.stderr, color: colorFor(io.stderr) });
      done(await runChild(cmd, em, io));
    });

  emulatorOption(program.command('run').description('play conversation files against the running app; exit 1 when a step fails'))
    .argument('<files...>', 'conversation files (JSON)')
    .option('--json', 'print one JSON report per file')
    .action(async (files: string[], f: { json?: boolean; emulator?: string }) => {
      const client = new RemoteControl(emulatorAddress(f.emulator, io));
      const c = chalkFor(colorFor(io.stdout));
      let failed = 0;
      const counts = { passed: 0, failed: 0, skipped: 0 };
      for (const file of files) {
        let report;
        try {
          report = await runConversation(parseConversation(fs.readFileSync(file, 'utf8'), file), client);
        } catch (e) {
          const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? `${file}: no such file` : (e as Error).message;
          report = { name: file, ok: false, steps: [{ index: 0, step: 'read the file', outcome: 'failed' as const, detail: why }] };
        }
        if (!report.ok) failed++;
        for (const s of report.steps) counts[s.outcome]++;
        if (f.json) {
          io.stdout.write(`${JSON.stringify({ file, ...report })}\n`);
          continue;
        }
        io.stdout.write(`${c.bold(file)}${report.name !== file ? ` — ${report.name}` : ''}\n`);
        for (const s of report.steps) {
          const mark = s.outcome === 'passed' ? c.green('✓') : s.outcome === 'failed' ? c.red('✗') : c.dim('-');
          io.stdout.write(`  ${mark} ${s.index}. ${s.step}\n      ${s.outcome === 'failed' ? c.red(s.detail) : c.dim(s.detail)}\n`);
        }
      }
      if (!f.json)
        io.stdout.write(
          `conversations: ${files.length - failed} passed, ${failed} failed (steps: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped)\n`,
        );
      done(failed ? 1 : 0);
    });

  emulatorOption(program.command('replay').description('play a recorded transcript (--record) against the app again; exit 1 when it sends anything different'))
    .argument('<transcript>', 'a transcript written by start --record')
    .option('--namespace <name>', 'replay only this namespace of the recording (default: each namespace into its own)')
    .option('--timeout <ms>', 'how long each turn waits for as many replies as it had then (default 2000)')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, f: { emulator?: string; namespace?: string; timeout?: string; json?: boolean }) => {
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (e) {
        throw new BadRequestError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
      }
      const timeoutMs = positiveInt(f.timeout, '--timeout');
      const emulator = new RemoteControl(emulatorAddress(f.emulator, io));
      const report = await replayTranscript(text, (name) => (name === 'default' ? emulator : emulator.namespace(name)), {
        ...(f.namespace !== undefined ? { namespace: f.namespace } : {}),
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      });
      if (f.json) io.stdout.write(`${JSON.stringify(report)}\n`);
      else {
        for (const d of report.differences) io.stdout.write(`${formatDifference(d)}\n`);
        const [turns, differ] = [report.turns, report.differences.length];
        io.stdout.write(
          `replay: ${turns} turn${turns === 1 ? '' : 's'}, ${report.ok ? 'the app sent the same' : `${differ} differ${differ === 1 ? 's' : ''}`}\n`,
        );
      }
      done(report.ok ? 0 : 1);
    });
  return program;
}

function runChild(cmd: string[], em: RunningEmulator, io: CliIO): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd[0]!, cmd.slice(1), { stdio: 'inherit', env: { ...io.env, ...em.env } });
    const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
    const onInt = forward('SIGINT');
    const onTerm = forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    const finish = (code: number, message?: string): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      if (message) io.stderr.write(`xmpp-emu: ${message}\n`);
      // The child's code is the answer even when the emulator does not close cleanly (said, then given).
      em.close().then(
        () => resolve(code),
        (e: Error) => {
          io.stderr.write(`xmpp-emu: the emulator did not close cleanly: ${e.message}\n`);
          resolve(code);
        },
      );
    };
    child.once('error', (e: NodeJS.ErrnoException) =>
      finish(e.code === 'ENOENT' ? 127 : 126, `cannot run ${cmd[0]}: ${e.code === 'ENOENT' ? 'command not found' : e.message}`),
    );
    child.once('exit', (code, signal) => {
      const n = signal ? 128 + (os.constants.signals[signal] ?? 0) : (code ?? 1);
      finish(n);
    });
  });
}

/** Run the CLI. Resolves with the exit code, or undefined while `start` keeps running. */
export async function main(
  argv: string[],
  io: CliIO = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env },
): Promise<number | undefined> {
  const result: { code: number | undefined } = { code: 0 };
  const program = buildProgram(io, result);
  try {
    // An unknown command is a mistake even with --help, which would otherwise print the general help and exit 0.
    const first = argv[0];
    const names = program.commands.map((c) => c.name());
    if (first !== undefined && !first.startsWith('-') && first !== 'help' && !names.includes(first)) {
      const guess = closest(first, names);
      throw new BadRequestError(`unknown command '${first}'${guess ? `; did you mean ${guess}?` : ''} (xmpp-emu --help lists the commands)`);
    }
    await program.parseAsync(argv, { from: 'user' });
    return result.code;
  } catch (e) {
    // Commander has already said why, in one line; a user mistake exits 2 wherever it was found.
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    io.stderr.write(`xmpp-emu: ${(e as Error).message}\n`);
    return isUserMistake(e) ? 2 : 1;
  }
}
