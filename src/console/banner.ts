// What `start` prints once it listens: a banner for people, or one ready line for programs. Both print info().
import type { ChalkInstance } from 'chalk';
import type { AppInfo } from '../core/info.js';

export function readyLine(info: AppInfo): string {
  return JSON.stringify({ event: 'ready', ...info });
}

/** `cert`: the STARTTLS certificate, so a user can compare the fingerprint their client shows. */
export function banner(info: AppInfo, version: string, c: ChalkInstance, cert: { file: string; fingerprint: string } | null = null): string {
  const row = (k: string, v: string): string => `  ${c.dim(k.padEnd(11))}${v}`;
  const services = info.inbound_services;
  const lines = [
    c.bold(`xmpp-emu ${version}`) + c.dim(' · App Engine XMPP service, emulated locally; nothing leaves this machine'),
    row('emulator', info.url ?? '(not listening)'),
    ...(info.console_url ? [row('console', `${info.console_url}  (open in a browser)`)] : []),
    row('app', `${info.app_url} (default version)`),
    ...Object.entries(info.versions).map(([name, url]) => row(`version`, `${name} → ${url}`)),
    row('app id', info.app_id),
    row('addresses', info.addresses.join(', ')),
    row(
      'inbound',
      services === null ? 'all services enabled (no app.yaml)' : `${services.length ? services.join(', ') : 'none'} (from ${info.app_yaml}, watched)`,
    ),
    row(
      'presence',
      `${info.default_presence} by default${info.strict_presence ? ', reported for subscribed JIDs only, as in production' : ', lenient: reported for every JID'}${info.presence_file ? `; file ${info.presence_file} (watched)` : ''}`,
    ),
    ...(info.record ? [row('transcript', info.record)] : []),
    ...(info.xmpp_port === null
      ? [row('xmpp', 'off (--no-xmpp)')]
      : [
          row(
            'xmpp',
            `${info.host}:${info.xmpp_port} (STARTTLS) and ${info.xmpp_websocket}; sign in as anyone@any.domain${info.xmpp_users ? ` listed in ${info.xmpp_users}` : ', any password'}`,
          ),
          ...(cert ? [row('tls cert', `${cert.file} (SHA-256 ${cert.fingerprint})`)] : []),
        ]),
    '',
    ...(info.env
      ? [
          `export XMPP_EMULATOR_HOST=${info.env.XMPP_EMULATOR_HOST}`,
          `export API_HOST=${info.env.API_HOST} API_PORT=${info.env.API_PORT}   ${c.dim('# unchanged App Engine apps (Go, Python)')}`,
        ]
      : []),
    '',
  ];
  return lines.join('\n');
}
