// The app's own addresses, the default /bot resource, sender rewriting and inbound routing by version.
import { InvalidJidError } from './errors.js';
import { parseJid, type Jid } from './jid.js';

export const DEFAULT_RESOURCE = 'bot';
const CUSTOM_NODE = /^[A-Za-z0-9-]+$/;

export interface AppIdentity {
  appId: string;
  /** names of the non-default versions the emulator knows about */
  versions: readonly string[];
}

export function defaultAppJid(appId: string): string {
  return `${appId}@appspot.com`;
}

export function chatDomain(appId: string): string {
  return `${appId}.appspotchat.com`.toLowerCase();
}

export function versionDomain(appId: string, version: string): string {
  return `${version}.latest.${appId}.appspotchat.com`.toLowerCase();
}

/** An app's names as addresses compare them, worked out once per app id (a run has one or a few). */
const appNames = new Map<string, { id: string; chat: string; versionSuffix: string }>();

function namesOf(appId: string): { id: string; chat: string; versionSuffix: string } {
  let names = appNames.get(appId);
  if (!names) {
    if (appNames.size >= 64) appNames.clear();
    names = { id: appId.toLowerCase(), chat: chatDomain(appId), versionSuffix: `.latest.${chatDomain(appId)}` };
    appNames.set(appId, names);
  }
  return names;
}

/** The addresses a newcomer can write to, for the banner. */
export function appAddresses(app: AppIdentity): string[] {
  return [defaultAppJid(app.appId), `ANYTHING@${chatDomain(app.appId)}`, ...app.versions.map((v) => `ANYTHING@${versionDomain(app.appId, v)}`)];
}

/** Which of the app's address kinds a parsed JID is, or null when it is not the app's. */
export type AppAddress = { kind: 'appspot' } | { kind: 'custom' } | { kind: 'version'; version: string };

export function classifyAppAddress(jid: Jid, appId: string): AppAddress | null {
  const names = namesOf(appId);
  if (jid.domain === 'appspot.com') return jid.node.toLowerCase() === names.id ? { kind: 'appspot' } : null;
  // Every other address of the app is in its chat domain: a user's address is told apart with one comparison.
  if (!jid.domain.endsWith(names.chat) || !CUSTOM_NODE.test(jid.node)) return null;
  if (jid.domain === names.chat) return { kind: 'custom' };
  const suffix = names.versionSuffix;
  if (jid.domain.endsWith(suffix)) {
    const version = jid.domain.slice(0, -suffix.length);
    if (version.length > 0 && !version.includes('.')) return { kind: 'version', version };
  }
  return null;
}

export function isAppAddress(input: string, appId: string): boolean {
  const r = parseJid(input);
  return r.ok && classifyAppAddress(r.jid, appId) !== null;
}

/**
 * The address a sent message goes out from: from_jid checked against the app's addresses, the /bot resource
 * added to a bare JID, and, for a non-default version, rewritten to that version's domain.
 */
export function resolveSender(fromJid: string | undefined, app: AppIdentity, version: string | null): string {
  // An empty from_jid is the default sender, as the service read it.
  const input = fromJid || defaultAppJid(app.appId);
  const r = parseJid(input);
  if (!r.ok) throw new InvalidJidError(`from_jid "${input}" is not a valid JID: ${r.reason}`);
  const kind = classifyAppAddress(r.jid, app.appId);
  if (kind === null) {
    throw new InvalidJidError(`from_jid "${input}" is not one of the app's addresses (${defaultAppJid(app.appId)} or ANYTHING@${chatDomain(app.appId)})`);
  }
  const resource = r.jid.resource ?? DEFAULT_RESOURCE;
  const nonDefault = version !== null && app.versions.includes(version);
  if (nonDefault && kind.kind !== 'version') {
    return `${r.jid.node}@${versionDomain(app.appId, version)}/${resource}`;
  }
  return `${r.jid.node}@${r.jid.domain}/${resource}`;
}

export type Route = { ok: true; version: string | null } | { ok: false; reason: string };

/** Where an inbound stanza addressed to `to` goes: the default version, a named version, or nowhere (and why). */
export function routeInbound(to: string, app: AppIdentity): Route {
  const r = parseJid(to);
  if (!r.ok) return { ok: false, reason: `"to" is not a valid JID: ${r.reason}` };
  const kind = classifyAppAddress(r.jid, app.appId);
  if (kind === null) {
    return {
      ok: false,
      reason: `${to} is not an address of app "${app.appId}" (expected ${defaultAppJid(app.appId)}, ANYTHING@${chatDomain(app.appId)} or ANYTHING@VERSION.latest.${chatDomain(app.appId)})`,
    };
  }
  if (kind.kind !== 'version') return { ok: true, version: null };
  const version = app.versions.find((v) => v.toLowerCase() === kind.version);
  if (version === undefined) {
    return {
      ok: false,
      reason: `version "${kind.version}" of app "${app.appId}" does not exist (known: ${app.versions.length ? app.versions.join(', ') : 'none; add --version NAME=URL'})`,
    };
  }
  return { ok: true, version };
}
