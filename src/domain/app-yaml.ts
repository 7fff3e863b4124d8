// app.yaml: the app's id and which inbound XMPP services it enabled.
import { createRequire } from 'node:module';
import { BadRequestError } from './errors.js';

export const XMPP_SERVICES = ['xmpp_message', 'xmpp_presence', 'xmpp_subscribe', 'xmpp_error'] as const;
export type XmppService = (typeof XMPP_SERVICES)[number];
/** Every inbound service App Engine knew; any other name is a typo that production refused at deploy. */
export const INBOUND_SERVICES = ['mail', 'mail_bounce', ...XMPP_SERVICES, 'channel_presence', 'warmup'] as const;

export interface AppYaml {
  application: string | null;
  /** the XMPP inbound services enabled; other inbound services (mail, warmup...) are left out */
  inboundServices: XmppService[];
}

// Loaded on first use: only an app with an app.yaml pays for the YAML parser at start-up.
const load = createRequire(import.meta.url);

export function parseAppYaml(text: string): AppYaml {
  let doc: unknown;
  try {
    doc = (load('yaml') as typeof import('yaml')).parse(text);
  } catch (e) {
    throw new BadRequestError(`not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return { application: null, inboundServices: [] };
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new BadRequestError('app.yaml must be a mapping');
  const o = doc as Record<string, unknown>;
  const application = o.application === undefined || o.application === null ? null : appIdOf(String(o.application));
  const raw = o.inbound_services ?? [];
  if (!Array.isArray(raw)) throw new BadRequestError('inbound_services must be a list');
  for (const s of raw) {
    if (!(INBOUND_SERVICES as readonly unknown[]).includes(s)) {
      throw new BadRequestError(`inbound_services: "${String(s)}" is not an inbound service App Engine knows (valid: ${INBOUND_SERVICES.join(', ')})`);
    }
  }
  const inboundServices = raw.filter((s): s is XmppService => (XMPP_SERVICES as readonly unknown[]).includes(s));
  return { application, inboundServices };
}

/** An app id as App Engine wrote it, possibly with a partition prefix (`s~myapp`, `e~myapp`): addressed by the part after `~`. */
export function appIdOf(id: string): string {
  return id.slice(id.lastIndexOf('~') + 1);
}
