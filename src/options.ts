// One options object: flags > environment > config file > defaults, resolved once and frozen. Nothing else reads
// the environment or the config file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { appIdOf, parseAppYaml } from './domain/app-yaml.js';
import { BadRequestError } from './domain/errors.js';
import { parseJsonObject, rejectUnknownKeys } from './domain/json-file.js';
import { parseFaultRule, type FaultRuleInput } from './domain/faults.js';
import { DEFAULT_QUOTAS, type QuotaLimits } from './domain/quotas.js';
import { isSeed, MAX_SEED } from './domain/random.js';
import { isOneOf, PRESENCE_WORDS, type PresenceWord } from './domain/vocabulary.js';

/** The human console: one line per event, or the block the old dev server printed for each call. */
export const CONSOLE_STYLES = ['lines', 'devserver'] as const;
export type ConsoleStyle = (typeof CONSOLE_STYLES)[number];

export interface Options {
  host: string;
  port: number;
  /** the local app, default version */
  appUrl: string;
  appId: string;
  /** path of app.yaml, or null for none (every inbound service enabled) */
  appYaml: string | null;
  /** non-default versions: name → URL */
  versions: Readonly<Record<string, string>>;
  /** presence fixture file, or null (`--presence`, the config key `presence`, XMPP_EMU_PRESENCE) */
  presenceFile: string | null;
  defaultPresence: PresenceWord;
  /** report presence for every JID, subscribed or not (production reported only JIDs subscribed to the app) */
  lenientPresence: boolean;
  /** a message to an unavailable user comes back as an error stanza POSTed to /_ah/xmpp/error/, as production's did */
  offlineErrors: boolean;
  /** transcript file (JSON lines), or null */
  record: string | null;
  /** print events to the console (the CLI does; tests usually do not) */
  console: boolean;
  /** the console prints JSON lines instead of the human format */
  json: boolean;
  /** the human format: one line per event, or the old dev server's blocks */
  consoleStyle: ConsoleStyle;
  /** how long an inbound POST to the app may take */
  deliveryTimeoutMs: number;
  /** how deep a chain of the app's messages to its own addresses may go before it is broken */
  maxLoopDepth: number;
  /** how many outbox entries are kept before the oldest are dropped */
  outboxCap: number;
  /** how many bytes of outbox entries (approximately, see entryBytes) are kept before the oldest are dropped */
  outboxMaxBytes: number;
  quotas: Readonly<QuotaLimits>;
  /** watch app.yaml and the presence file for edits */
  watch: boolean;
  /** serve the web console at GET / */
  ui: boolean;
  /** the XMPP endpoints for real clients (TCP on xmppPort, WebSocket at /xmpp-websocket) */
  xmpp: boolean;
  /** client-to-server TCP port; 0 picks a free one */
  xmppPort: number;
  /** JSON file of bare JID → password; null: any password signs in */
  xmppUsers: string | null;
  /** PEM certificate and key for STARTTLS; null: one generated in stateDir on first use */
  xmppCert: string | null;
  xmppKey: string | null;
  /** where the emulator keeps what must outlive a run (the generated certificate) */
  stateDir: string;
  /** a connection that has not bound a resource by then is closed */
  xmppHandshakeTimeoutMs: number;
  /** the seed of every random choice (fault probabilities, delivery ids); null: drawn at start and reported */
  seed: number | null;
  /** fault rules every namespace starts with (and returns to on reset) */
  faults: readonly FaultRuleInput[];
  /** how often a signed-in client is pinged (XEP-0199); one that has not answered the previous ping is closed */
  xmppPingIntervalMs: number;
}

export type OptionsInput = Partial<Omit<Options, 'quotas' | 'versions' | 'faults'>> & {
  quotas?: Partial<QuotaLimits>;
  versions?: Record<string, string>;
  faults?: readonly FaultRuleInput[];
};

export const DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 8095,
  appUrl: 'http://localhost:8080',
  appId: 'dev-app',
  defaultPresence: 'available' as PresenceWord,
  lenientPresence: false,
  offlineErrors: false,
  console: false,
  json: false,
  consoleStyle: 'lines' as ConsoleStyle,
  deliveryTimeoutMs: 10_000,
  maxLoopDepth: 16,
  outboxCap: 10_000,
  outboxMaxBytes: 256 * 1024 * 1024,
  watch: true,
  ui: true,
  xmpp: true,
  xmppPort: 5222,
  xmppHandshakeTimeoutMs: 20_000,
  xmppPingIntervalMs: 60_000,
});

/** Config-file keys and the option each sets: the option's own name, except `presence` (interface.md's name). */
const CONFIG_KEYS: Readonly<Record<string, keyof Options>> = Object.freeze({
  host: 'host',
  port: 'port',
  appUrl: 'appUrl',
  appId: 'appId',
  appYaml: 'appYaml',
  versions: 'versions',
  presence: 'presenceFile',
  defaultPresence: 'defaultPresence',
  lenientPresence: 'lenientPresence',
  offlineErrors: 'offlineErrors',
  record: 'record',
  console: 'console',
  json: 'json',
  consoleStyle: 'consoleStyle',
  deliveryTimeoutMs: 'deliveryTimeoutMs',
  maxLoopDepth: 'maxLoopDepth',
  outboxCap: 'outboxCap',
  outboxMaxBytes: 'outboxMaxBytes',
  quotas: 'quotas',
  watch: 'watch',
  ui: 'ui',
  xmpp: 'xmpp',
  xmppPort: 'xmppPort',
  xmppUsers: 'xmppUsers',
  xmppCert: 'xmppCert',
  xmppKey: 'xmppKey',
  stateDir: 'stateDir',
  seed: 'seed',
  faults: 'faults',
});

/** The environment variables `start` reads, and the option each sets. */
export const ENV_VARS: Readonly<Record<string, keyof Options>> = Object.freeze({
  XMPP_EMU_HOST: 'host',
  XMPP_EMU_PORT: 'port',
  XMPP_EMU_APP_URL: 'appUrl',
  XMPP_EMU_APP_ID: 'appId',
  XMPP_EMU_APP_YAML: 'appYaml',
  XMPP_EMU_PRESENCE: 'presenceFile',
  XMPP_EMU_CONSOLE: 'consoleStyle',
  XMPP_EMU_XMPP_PORT: 'xmppPort',
  XMPP_EMU_XMPP_USERS: 'xmppUsers',
  XMPP_EMU_XMPP_CERT: 'xmppCert',
  XMPP_EMU_XMPP_KEY: 'xmppKey',
  XMPP_EMU_STATE_DIR: 'stateDir',
  XMPP_EMU_SEED: 'seed',
  XMPP_EMU_MAX_LOOP_DEPTH: 'maxLoopDepth',
  XMPP_EMU_LENIENT_PRESENCE: 'lenientPresence',
  XMPP_EMU_OFFLINE_ERRORS: 'offlineErrors',
});

/** Options an environment variable switches with 1 or 0 (true or false). */
const SWITCHES: ReadonlySet<keyof Options> = new Set(['lenientPresence', 'offlineErrors']);

/** XMPP_EMU_NO_XMPP=1 turns the XMPP endpoints off, like --no-xmpp. */
export const NO_XMPP_ENV = 'XMPP_EMU_NO_XMPP';

export const CONFIG_FILE = 'xmpp-emu.config.json';

export function fromEnv(env: NodeJS.ProcessEnv): OptionsInput {
  const out: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(ENV_VARS)) {
    const v = env[name];
    if (v === undefined || v === '') continue;
    out[key] =
      key === 'port' || key === 'xmppPort'
        ? parsePort(v, name)
        : key === 'seed'
          ? parseSeed(v, name)
          : key === 'maxLoopDepth'
            ? Number(v)
            : SWITCHES.has(key)
              ? parseSwitch(v, name)
              : v;
  }
  // XMPP_EMU_NO_UI=1 is --no-ui, XMPP_EMU_NO_XMPP=1 is --no-xmpp.
  const ui = switchedOn(env, 'XMPP_EMU_NO_UI');
  if (ui !== undefined) out.ui = ui;
  const xmpp = switchedOn(env, NO_XMPP_ENV);
  if (xmpp !== undefined) out.xmpp = xmpp;
  if (out.stateDir === undefined && env.XDG_STATE_HOME) out.stateDir = path.join(env.XDG_STATE_HOME, 'xmpp-emu');
  return out as OptionsInput;
}

/** A NO_* variable: false when it says 1 or true, true when 0 or false, undefined when unset. */
function switchedOn(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : !parseSwitch(v, name);
}

function parseSwitch(v: string, name: string): boolean {
  if (!/^(1|0|true|false)$/i.test(v)) throw new BadRequestError(`${name} must be 1 or 0 (true or false), not "${v}"`);
  return /^(1|true)$/i.test(v);
}

/** Read a config file; `explicit` means the user named it, so a missing file is an error. */
export function fromConfigFile(file: string, explicit: boolean): OptionsInput {
  if (!fs.existsSync(file)) {
    if (explicit) throw new BadRequestError(`config file ${file} does not exist`);
    return {};
  }
  const where = `config file ${file}`;
  const data = parseJsonObject(fs.readFileSync(file, 'utf8'), where);
  rejectUnknownKeys(data, Object.keys(CONFIG_KEYS), where);
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) o[CONFIG_KEYS[k]!] = v;
  const dir = path.dirname(file);
  // Paths in a config file are relative to the file.
  for (const k of ['appYaml', 'presenceFile', 'record', 'xmppUsers', 'xmppCert', 'xmppKey', 'stateDir'] as const) {
    if (typeof o[k] === 'string') o[k] = path.resolve(dir, o[k]);
  }
  return o as OptionsInput;
}

export interface LoadInput {
  /** the command line's options, already mapped onto option names */
  flags: OptionsInput;
  env: NodeJS.ProcessEnv;
  /** --config FILE; without it, ./xmpp-emu.config.json when present */
  configFile?: string;
  cwd?: string;
}

/** Flags > environment > config file > defaults: what `start` and `exec` run with. */
export function loadOptions({ flags, env, configFile, cwd = process.cwd() }: LoadInput): Readonly<Options> {
  const file = configFile ? fromConfigFile(path.resolve(cwd, configFile), true) : fromConfigFile(path.resolve(cwd, CONFIG_FILE), false);
  return resolveOptions(flags, fromEnv(env), file);
}

export function parsePort(v: string | number, what: string): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new BadRequestError(`${what} must be a port number from 0 to 65535, not "${v}"`);
  return n;
}

/**
 * Merge layers (earlier wins) over the defaults, read app.yaml for the app id, check everything, freeze.
 * Resolving options already resolved gives the same options, so startEmulator() takes either.
 */
export function resolveOptions(...layers: OptionsInput[]): Readonly<Options> {
  const pick = <K extends keyof OptionsInput>(k: K): OptionsInput[K] | undefined => {
    for (const l of layers) if (l[k] !== undefined) return l[k];
    return undefined;
  };
  let appYaml = pick('appYaml');
  if (appYaml === undefined) appYaml = fs.existsSync('app.yaml') ? path.resolve('app.yaml') : null;
  else if (appYaml !== null) {
    appYaml = path.resolve(appYaml);
    if (!fs.existsSync(appYaml)) throw new BadRequestError(`app.yaml ${appYaml} does not exist`);
  }
  let appId = pick('appId');
  if (appId === undefined && appYaml) {
    try {
      appId = parseAppYaml(fs.readFileSync(appYaml, 'utf8')).application ?? undefined;
    } catch (e) {
      throw new BadRequestError(`app.yaml file ${appYaml}: ${(e as Error).message}`);
    }
  }
  // A partition prefix (s~myapp) is how App Engine wrote some ids; the app is addressed by the part after `~`.
  appId = appIdOf(appId ?? DEFAULTS.appId);
  if (!/^[a-z0-9][a-z0-9-]*$/i.test(appId)) throw new BadRequestError(`app id "${appId}" may hold only letters, digits and hyphens`);

  const defaultPresence = pick('defaultPresence') ?? DEFAULTS.defaultPresence;
  if (!isOneOf(defaultPresence, PRESENCE_WORDS)) {
    throw new BadRequestError(`default presence "${defaultPresence}" is not one of ${PRESENCE_WORDS.join(', ')}`);
  }
  const versions = { ...(pick('versions') ?? {}) };
  for (const [name, url] of Object.entries(versions)) {
    if (!/^[a-z0-9][a-z0-9-]*$/i.test(name)) throw new BadRequestError(`version name "${name}" may hold only letters, digits and hyphens`);
    checkUrl(url, `the URL of version ${name}`);
  }
  const appUrl = pick('appUrl') ?? DEFAULTS.appUrl;
  checkUrl(appUrl, 'app URL');
  const presenceFile = pick('presenceFile') ?? null;
  const positive = (k: PositiveKey): number => positiveOption(pick, k);
  const consoleStyle = pick('consoleStyle') ?? DEFAULTS.consoleStyle;
  if (!CONSOLE_STYLES.includes(consoleStyle)) throw new BadRequestError(`console style "${consoleStyle}" is not one of ${CONSOLE_STYLES.join(', ')}`);
  const options: Options = {
    host: pick('host') ?? DEFAULTS.host,
    port: parsePort(pick('port') ?? DEFAULTS.port, 'port'),
    appUrl,
    appId,
    appYaml,
    versions: Object.freeze(versions),
    presenceFile: presenceFile === null ? null : path.resolve(presenceFile),
    defaultPresence,
    lenientPresence: pick('lenientPresence') ?? DEFAULTS.lenientPresence,
    offlineErrors: pick('offlineErrors') ?? DEFAULTS.offlineErrors,
    record: pick('record') ? path.resolve(pick('record')!) : null,
    console: pick('console') ?? DEFAULTS.console,
    json: pick('json') ?? DEFAULTS.json,
    consoleStyle,
    deliveryTimeoutMs: positive('deliveryTimeoutMs'),
    maxLoopDepth: positive('maxLoopDepth'),
    outboxCap: positive('outboxCap'),
    outboxMaxBytes: positive('outboxMaxBytes'),
    quotas: Object.freeze({ ...DEFAULT_QUOTAS, ...(pick('quotas') ?? {}) }),
    watch: pick('watch') ?? DEFAULTS.watch,
    ui: pick('ui') ?? DEFAULTS.ui,
    ...xmppOptions(pick),
    seed: pick('seed') == null ? null : parseSeed(pick('seed')!, 'seed'),
    faults: Object.freeze(readStartFaults(pick('faults'))),
  };
  return Object.freeze(options);
}

type PositiveKey = 'deliveryTimeoutMs' | 'maxLoopDepth' | 'outboxCap' | 'outboxMaxBytes' | 'xmppHandshakeTimeoutMs' | 'xmppPingIntervalMs';

function positiveOption(pick: PickOption, k: PositiveKey): number {
  const v = pick(k) ?? DEFAULTS[k];
  if (!Number.isInteger(v) || v <= 0) throw new BadRequestError(`${k} must be a positive whole number, not ${v}`);
  return v;
}

type PickOption = <K extends keyof OptionsInput>(k: K) => OptionsInput[K] | undefined;

function xmppOptions(
  pick: PickOption,
): Pick<Options, 'xmpp' | 'xmppPort' | 'xmppUsers' | 'xmppCert' | 'xmppKey' | 'stateDir' | 'xmppHandshakeTimeoutMs' | 'xmppPingIntervalMs'> {
  const port = parsePort(pick('port') ?? DEFAULTS.port, 'port');
  const cert = pick('xmppCert') ?? null;
  const key = pick('xmppKey') ?? null;
  if ((cert === null) !== (key === null)) throw new BadRequestError('give both xmppCert and xmppKey (--xmpp-cert and --xmpp-key), or neither');
  const users = pick('xmppUsers') ?? null;
  if (users !== null && !fs.existsSync(users)) throw new BadRequestError(`users file ${users} does not exist`);
  const positive = (k: PositiveKey): number => positiveOption(pick, k);
  return {
    xmpp: pick('xmpp') ?? DEFAULTS.xmpp,
    // A free HTTP port asks for a free XMPP port too: tests and `exec` never collide on 5222.
    xmppPort: parsePort(pick('xmppPort') ?? (port === 0 ? 0 : DEFAULTS.xmppPort), 'xmppPort'),
    xmppUsers: users === null ? null : path.resolve(users),
    xmppCert: cert === null ? null : path.resolve(cert),
    xmppKey: key === null ? null : path.resolve(key),
    stateDir: path.resolve(pick('stateDir') ?? path.join(os.homedir(), '.local', 'state', 'xmpp-emu')),
    xmppHandshakeTimeoutMs: positive('xmppHandshakeTimeoutMs'),
    xmppPingIntervalMs: positive('xmppPingIntervalMs'),
  };
}

export function parseSeed(v: string | number, what: string): number {
  const n = typeof v === 'number' ? v : v.trim() === '' ? NaN : Number(v);
  if (!isSeed(n)) throw new BadRequestError(`${what} must be a whole number from 0 to ${MAX_SEED}, not "${v}"`);
  return n;
}

/** Start-up fault rules are checked now, so a bad one stops start with its reason. */
function readStartFaults(v: unknown): FaultRuleInput[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new BadRequestError('faults must be a list of fault rules');
  v.forEach((rule, i) => parseFaultRule(rule, 'check', Date.now(), `faults[${i}]`));
  return v as FaultRuleInput[];
}

function checkUrl(url: string, what: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new BadRequestError(`${what} "${url}" is not a URL (expected http://HOST:PORT)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new BadRequestError(`${what} "${url}" must start with http:// or https:// (for example http://${url.replace(/^[a-z]+:\/\//, '')})`);
}
