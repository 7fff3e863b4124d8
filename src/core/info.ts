// What the emulator is and where it listens, built once: the banner, the ready line and GET /v1/info all print this.
import { appAddresses, type AppIdentity } from '../domain/addresses.js';
import type { XmppService } from '../domain/app-yaml.js';
import type { PresenceWord } from '../domain/vocabulary.js';
import type { Options } from '../options.js';

/** Where the running emulator listens; null until it does. */
export interface Endpoints {
  /** http://HOST:PORT */
  url: string;
  host: string;
  port: number;
  /** the environment an app needs to reach this emulator: the JSON API's address, and the API server's for App Engine's SDKs */
  env: AppEnv;
  /** the XMPP client-to-server TCP port, or null with --no-xmpp */
  xmppPort: number | null;
  /** ws://HOST:PORT/xmpp-websocket, or null with --no-xmpp */
  xmppWebsocket: string | null;
}

export interface AppEnv {
  XMPP_EMULATOR_HOST: string;
  API_HOST: string;
  API_PORT: string;
}

/** Wire names (snake_case), as GET /v1/info and the ready line print them. */
export interface AppInfo {
  url: string | null;
  host: string | null;
  port: number | null;
  env: AppEnv | null;
  /** where App Engine's SDKs send API calls (API_HOST and API_PORT): this same server */
  api_host: string | null;
  api_port: number | null;
  app_id: string;
  app_url: string;
  versions: Readonly<Record<string, string>>;
  /** the addresses a newcomer can write to */
  addresses: string[];
  /** null: no app.yaml, every inbound service enabled */
  inbound_services: readonly XmppService[] | null;
  app_yaml: string | null;
  presence_file: string | null;
  default_presence: PresenceWord;
  strict_presence: boolean;
  record: string | null;
  /** the web console's URL, or null when it is off (--no-ui) or not listening yet */
  console_url: string | null;
  /** real XMPP clients: the TCP port and the WebSocket URL (null with --no-xmpp), and the users file if any */
  xmpp_port: number | null;
  xmpp_websocket: string | null;
  xmpp_users: string | null;
  /** the seed of this run's random choices: start again with --seed N to repeat them */
  seed: number;
}

export function buildInfo(
  options: Readonly<Options>,
  app: AppIdentity,
  inboundServices: readonly XmppService[] | null,
  endpoints: Endpoints | null,
  seed: number,
): AppInfo {
  return {
    url: endpoints?.url ?? null,
    host: endpoints?.host ?? null,
    port: endpoints?.port ?? null,
    env: endpoints?.env ?? null,
    api_host: endpoints?.env.API_HOST ?? null,
    api_port: endpoints?.port ?? null,
    app_id: options.appId,
    app_url: options.appUrl,
    versions: options.versions,
    addresses: appAddresses(app),
    inbound_services: inboundServices,
    app_yaml: options.appYaml,
    presence_file: options.presenceFile,
    default_presence: options.defaultPresence,
    strict_presence: !options.lenientPresence,
    record: options.record,
    console_url: options.ui && endpoints ? `${endpoints.url}/` : null,
    xmpp_port: endpoints?.xmppPort ?? null,
    xmpp_websocket: endpoints?.xmppWebsocket ?? null,
    xmpp_users: options.xmppUsers,
    seed,
  };
}
