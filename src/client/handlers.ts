// The app's side of inbound delivery: an express router for every /_ah/xmpp/... path, and a command handler.
import express, { Router, type Request, type Response } from 'express';
import multer from 'multer';
import { INBOUND_PRESENCE_TYPES, isOneOf, SUBSCRIPTION_TYPES, type InboundPresenceType, type SubscriptionType } from '../domain/vocabulary.js';
import type { ClientOptions } from './api.js';
import { InvalidMessageError, Message } from './message.js';
import { withTicket } from './ticket.js';

export interface PresenceNotification {
  type: InboundPresenceType;
  from: string;
  to: string;
  show: string;
  status: string;
  stanza: string;
}

export interface SubscriptionNotification {
  type: SubscriptionType;
  from: string;
  to: string;
  stanza: string;
}

export interface ErrorNotification {
  from: string;
  stanza: string;
}

type Handler<T> = (event: T, req: Request, res: Response) => unknown;

export interface MessageReceiver {
  messageReceived(message: Message): unknown;
}

export interface XmppRouterOptions {
  /** a function, or an object with messageReceived() such as a CommandHandler */
  message?: Handler<Message> | MessageReceiver;
  presence?: Handler<PresenceNotification>;
  subscription?: Handler<SubscriptionNotification>;
  error?: Handler<ErrorNotification>;
  /** where replies go (default: XMPP_EMULATOR_HOST) */
  client?: ClientOptions;
  /** told to the sender when the message handler throws; null to stay silent */
  errorMessage?: string | null;
}

export const DEFAULT_ERROR_MESSAGE = 'Oops. Something went wrong.';

function text(req: Request, name: string): string {
  const v = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : '';
}

/** Mount with app.use(xmppRouter({...})); every POST is parsed with multer and answered 200 unless the handler answers. */
export function xmppRouter(options: XmppRouterOptions): Router {
  const r = Router();
  const fields = multer({ limits: { fieldSize: 2 * 1024 * 1024 } }).none();
  const done = (res: Response): void => {
    if (!res.headersSent) res.status(200).end();
  };
  // Each handler runs with its delivery's ticket, so the calls it makes link back to it.
  const handled = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response) => withTicket(req, () => fn(req, res));

  r.post(
    '/_ah/xmpp/message/chat/',
    fields,
    handled(async (req, res) => {
      let message: Message;
      try {
        message = new Message((req.body ?? {}) as Record<string, unknown>, options.client);
      } catch (e) {
        if (e instanceof InvalidMessageError) return void res.status(400).type('text/plain').send(e.message);
        throw e;
      }
      const h = options.message;
      if (!h) return done(res);
      try {
        await (typeof h === 'function' ? h(message, req, res) : h.messageReceived(message));
      } catch (e) {
        const say = options.errorMessage === undefined ? DEFAULT_ERROR_MESSAGE : options.errorMessage;
        if (say !== null) await message.reply(say).catch(() => undefined);
        if (!res.headersSent)
          res
            .status(500)
            .type('text/plain')
            .send(`handler failed: ${(e as Error).message}`);
        return;
      }
      done(res);
    }),
  );

  r.post(
    '/_ah/xmpp/presence/:type/',
    fields,
    handled(async (req, res) => {
      const type = String(req.params.type);
      if (!isOneOf(type, INBOUND_PRESENCE_TYPES)) return void res.status(404).end();
      await options.presence?.(
        { type, from: text(req, 'from'), to: text(req, 'to'), show: text(req, 'show'), status: text(req, 'status'), stanza: text(req, 'stanza') },
        req,
        res,
      );
      done(res);
    }),
  );

  r.post(
    '/_ah/xmpp/subscription/:type/',
    fields,
    handled(async (req, res) => {
      const type = String(req.params.type);
      if (!isOneOf(type, SUBSCRIPTION_TYPES)) return void res.status(404).end();
      await options.subscription?.({ type, from: text(req, 'from'), to: text(req, 'to'), stanza: text(req, 'stanza') }, req, res);
      done(res);
    }),
  );

  r.post(
    '/_ah/xmpp/error/',
    fields,
    handled(async (req, res) => {
      await options.error?.({ from: text(req, 'from'), stanza: text(req, 'stanza') }, req, res);
      done(res);
    }),
  );
  return r;
}

/**
 * A chat bot in the original's style: `/foo bar` calls fooCommand(message), an unknown command calls
 * unhandledCommand (which answers "Unknown command"), and plain text calls textMessage.
 */
export class CommandHandler implements MessageReceiver {
  unhandledCommandMessage = 'Unknown command';

  async messageReceived(message: Message): Promise<void> {
    // As in the original, a bare "/" (the empty command) counts as plain text.
    if (message.command) {
      const name = `${message.command}Command`;
      const fn = /^[A-Za-z_$][\w$]*$/.test(message.command) ? (this as unknown as Record<string, unknown>)[name] : undefined;
      if (typeof fn === 'function') await (fn as (m: Message) => unknown).call(this, message);
      else await this.unhandledCommand(message);
    } else {
      await this.textMessage(message);
    }
  }

  async unhandledCommand(message: Message): Promise<void> {
    await message.reply(this.unhandledCommandMessage);
  }

  async textMessage(_message: Message): Promise<void> {}
}

/** An express app with just the XMPP router: enough for a bot. */
export function xmppApp(options: XmppRouterOptions): express.Express {
  const app = express();
  app.use(xmppRouter(options));
  return app;
}
