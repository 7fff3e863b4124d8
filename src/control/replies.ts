// "The replies to this": what the app sent while handling one delivery (entries whose in_reply_to is its id), those
// captured already and those that come within a window after the app answered: an app may reply after its handler
// returned (a queued task, a promise it did not await), so the delivery's answer is not the end of its replies.
import type { DeliveryResult, OutboxEntry } from '../core/events.js';
import { TimeoutError } from '../domain/errors.js';
import type { ControlPort } from './port.js';

/** How long `send` keeps listening for late replies after the app answered, unless told otherwise. */
export const DEFAULT_REPLY_WINDOW_MS = 1000;

/**
 * The delivery's replies, oldest first: those captured now, then each that arrives within `windowMs` (each handed to
 * `onReply` as it comes). Nothing is awaited for a delivery that was never POSTed (it cannot have replies).
 */
export async function collectReplies(
  control: ControlPort,
  delivery: Pick<DeliveryResult, 'id' | 'url'>,
  windowMs: number,
  onReply: (e: OutboxEntry) => void = () => undefined,
): Promise<OutboxEntry[]> {
  const replies = await control.outbox({ in_reply_to: delivery.id });
  replies.forEach(onReply);
  if (delivery.url === null) return replies;
  const deadline = performance.now() + windowMs;
  for (let left = windowMs; left > 0; left = deadline - performance.now()) {
    const since = replies.at(-1)?.id;
    try {
      const e = await control.waitFor({ in_reply_to: delivery.id, ...(since !== undefined ? { since } : {}), timeoutMs: Math.ceil(left) });
      replies.push(e);
      onReply(e);
    } catch (e) {
      if (e instanceof TimeoutError) break;
      throw e;
    }
  }
  return replies;
}
