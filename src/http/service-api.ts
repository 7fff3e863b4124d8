// The app's side: the four calls of the original service, JSON in and out, names as in the original API.
import { Router } from 'express';
import type { Emulator } from '../core/emulator.js';

export function serviceApi(emulator: Emulator): Router {
  const r = Router();
  const version = (h: string | string[] | undefined): string | undefined => (Array.isArray(h) ? h[0] : h);

  r.post('/v1/xmpp/send_message', (req, res) => {
    const { statuses } = emulator.sendMessage(req.body, version(req.headers['x-appengine-version']));
    res.json({ statuses });
  });
  r.post('/v1/xmpp/send_invite', (req, res) => {
    emulator.sendInvite(req.body, version(req.headers['x-appengine-version']));
    res.json({});
  });
  r.post('/v1/xmpp/get_presence', (req, res) => {
    const { presence } = emulator.getPresence(req.body, version(req.headers['x-appengine-version']));
    res.json({ presence });
  });
  r.post('/v1/xmpp/send_presence', (req, res) => {
    emulator.sendPresence(req.body, version(req.headers['x-appengine-version']));
    res.json({});
  });
  return r;
}
