// app.yaml: the app's id and which inbound XMPP services it enabled.
import { createRequire } from 'node:module';
import { BadRequestError } from './errors.js';

export const XMPP_SERVICES = ['xmpp_message', 'xmpp_presence', 'xmpp_subscribe', 'xmpp_error'] as const;
export type XmppService = (typeof XMPP_SERVICES)[number];

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
  const application = o.application === undefined || o.application === null ? null : String(o.application);
  const raw = o.inbound_services ?? [];
  if (!Array.isArray(raw)) throw new BadRequestError('inbound_services must be a list');
  const inboundServices = raw.filter((s): s is XmppService => (XMPP_SERVICES as readonly unknown[]).includes(s));
  return { application, inboundServices };
}
