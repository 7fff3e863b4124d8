// What `start` prints once it listens: a banner for people, or one ready line for programs.
import type { ChalkInstance } from 'chalk';
import { appAddresses } from '../domain/addresses.js';
import type { RunningEmulator } from '../index.js';

export function readyLine(em: RunningEmulator): string {
  const o = em.options;
  return JSON.stringify({
    event: 'ready',
    url: em.url,
    host: em.host,
    port: em.port,
    app_url: o.appUrl,
    app_id: o.appId,
    versions: o.versions,
    addresses: appAddresses(em.emulator.app),
    inbound_services: em.emulator.inboundServices,
    env: em.env,
  });
}

export function banner(em: RunningEmulator, version: string, c: ChalkInstance): string {
  const o = em.options;
  const row = (k: string, v: string): string => `  ${c.dim(k.padEnd(11))}${v}`;
  const services = em.emulator.inboundServices;
  const lines = [
    c.bold(`xmpp-emu ${version}`) + c.dim(' · App Engine XMPP service, emulated locally; nothing leaves this machine'),
    row('emulator', em.url),
    row('app', `${o.appUrl} (default version)`),
    ...Object.entries(o.versions).map(([name, url]) => row(`version`, `${name} → ${url}`)),
    row('app id', o.appId),
    row('addresses', appAddresses(em.emulator.app).join(', ')),
    row('inbound', services === null ? 'all services enabled (no app.yaml)' : `${services.length ? services.join(', ') : 'none'} (from ${o.appYaml}, watched)`),
    row('presence', `${o.defaultPresence} by default${o.strictPresence ? ', strict: only subscribed JIDs' : ''}${o.presence ? `; file ${o.presence} (watched)` : ''}`),
    ...(o.record ? [row('transcript', o.record)] : []),
    '',
    `export XMPP_EMULATOR_HOST=${em.env.XMPP_EMULATOR_HOST}`,
    '',
  ];
  return lines.join('\n');
}
