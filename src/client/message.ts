// Message: an inbound chat message as the app's handler sees it, with the original's command parsing and reply().
import { sendMessage, MESSAGE_TYPE_CHAT, type ClientOptions } from './api.js';

export class InvalidMessageError extends Error {
  override name = 'InvalidMessageError';
}

function field(fields: Record<string, unknown>, name: string): string {
  const v = Array.isArray(fields[name]) ? (fields[name] as unknown[])[0] : fields[name];
  if (typeof v !== 'string') throw new InvalidMessageError(`the message has no "${name}" field`);
  return v;
}

export class Message {
  readonly sender: string;
  readonly to: string;
  readonly body: string;
  readonly command: string | null;
  readonly arg: string;

  /** Built from the POST fields from, to, body (a parsed multipart body, or any object holding them). */
  constructor(
    fields: Record<string, unknown>,
    private readonly client: ClientOptions = {},
  ) {
    this.sender = field(fields, 'from');
    this.to = field(fields, 'to');
    this.body = field(fields, 'body');
    const parsed = parseCommand(this.body);
    this.command = parsed.command;
    this.arg = parsed.arg;
  }

  /** Send `body` to the sender, from the address the message was sent to. Returns the status (NO_ERROR, ...). */
  reply(body: string, options: { messageType?: string; rawXml?: boolean } = {}): Promise<number> {
    return sendMessage(this.sender, body, {
      ...this.client,
      fromJid: this.to,
      messageType: options.messageType ?? MESSAGE_TYPE_CHAT,
      rawXml: options.rawXml ?? false,
    });
  }
}

/**
 * The original's rules: a body starting with / (or \, read as /) is a command; the command is what follows the
 * slash up to the first space, the arg the rest, trimmed. Plain text has no command and arg is the trimmed body.
 */
export function parseCommand(body: string): { command: string | null; arg: string } {
  const text = body.startsWith('\\') ? `/${body.slice(1)}` : body;
  if (!text.startsWith('/')) return { command: null, arg: body.trim() };
  const space = text.indexOf(' ');
  if (space === -1) return { command: text.slice(1), arg: '' };
  return { command: text.slice(1, space), arg: text.slice(space + 1).trim() };
}
