// xmpp-emu/client: what an app imports.
export * from './api.js';
export { Message, InvalidMessageError, parseCommand } from './message.js';
export {
  xmppRouter,
  xmppApp,
  CommandHandler,
  DEFAULT_ERROR_MESSAGE,
  type XmppRouterOptions,
  type MessageReceiver,
  type PresenceNotification,
  type SubscriptionNotification,
  type ErrorNotification,
} from './handlers.js';
export {
  XmppError,
  InvalidJidError,
  NoBodyError,
  InvalidXmlError,
  InvalidTypeError,
  InvalidShowError,
  InvalidStatusError,
  ExceededMaxSizeError,
  OverQuotaError,
  AppIdAliasRequiredError,
  NondefaultModuleError,
  UnspecifiedError,
  BadRequestError,
  type ErrorCode,
} from '../domain/errors.js';
