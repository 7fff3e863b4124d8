// Every HTTP error has one shape: {"error":{"code","message"}}. Body-parser failures are mapped to codes too.
import type { ServerResponse } from 'node:http';
import { BadRequestError, ExceededMaxSizeError, XmppError, UnspecifiedError } from '../domain/errors.js';
import { writeJson } from './json-body.js';

export function toXmppError(err: unknown): XmppError {
  if (err instanceof XmppError) return err;
  const e = err as { type?: string; status?: number; message?: string; limit?: number; length?: number };
  switch (e?.type) {
    case 'entity.parse.failed':
      return new BadRequestError(`malformed JSON in the request body: ${e.message}`);
    case 'entity.too.large':
      // A compressed body has no known length until it is inflated past the limit.
      return new ExceededMaxSizeError(
        `the request body is ${e.length ?? `more than ${e.limit}`} bytes${e.length === undefined ? ' once decompressed' : ''}; at most ${e.limit} bytes are accepted`,
      );
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new BadRequestError(`unsupported request encoding: ${e.message}`);
    case 'request.aborted':
      return new BadRequestError('the request was aborted by the client');
  }
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) return new BadRequestError(e.message ?? 'bad request');
  return new UnspecifiedError(`internal error: ${e?.message ?? String(err)}`);
}

/** An error nobody coded (a bug) has its stack said on stderr; a coded one, even UNSPECIFIED_ERROR (a fault rule's,
 * a call refused because it cannot be recorded), is only answered. */
export function sayIfUnexpected(err: unknown, x: XmppError): void {
  if (x.code === 'UNSPECIFIED_ERROR' && x !== err) console.error(err);
}

/** Answer an error in the one coded shape (an answer already under way is ended). */
export function answerError(res: ServerResponse, err: unknown): void {
  const x = toXmppError(err);
  sayIfUnexpected(err, x);
  if (res.headersSent) res.end();
  else writeJson(res, x.httpStatus, x.toBody());
}
