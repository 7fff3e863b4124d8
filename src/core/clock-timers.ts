// The spans a namespace waits out - a delivery's delay, a call's latency, a wait's window, a sequence's deadline -
// measured on its clock: a span of T ms ends when T ms have passed on the namespace's clock or on the wall clock,
// whichever comes first. On a running clock the two move together (nothing changes); advancing or setting the clock
// ends at once every span it passes; and no span lasts longer in real time than it says, so a wait (an HTTP
// long-poll included) cannot hang on a frozen clock that nobody advances.
import type { Clock } from '../domain/clock.js';
import type { WaitSignal } from './outbox.js';

/** setTimeout's largest delay; a longer one would fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

interface Span {
  /** when it ends on the namespace's clock */
  at: number;
  end(): void;
}

export class ClockTimers {
  private readonly spans = new Set<Span>();

  constructor(private readonly clock: Clock) {}

  /** Call `end` once `ms` have passed on the clock or on the wall; answers a cancel. */
  after(ms: number, end: () => void): () => void {
    const cancel = (): void => {
      clearTimeout(timer);
      this.spans.delete(span);
    };
    const span: Span = {
      at: this.clock.now() + ms,
      end: () => {
        cancel();
        end();
      },
    };
    const timer = setTimeout(span.end, Math.min(Math.max(0, ms), MAX_TIMER_MS));
    this.spans.add(span);
    return cancel;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.after(ms, resolve));
  }

  /** A signal that aborts once `ms` have passed (or when `outer` aborts); `cancel` frees its timer and its listener. */
  deadline(ms: number, outer?: WaitSignal): { signal: AbortSignal; cancel(): void } {
    const controller = new AbortController();
    const abort = (): void => controller.abort();
    const cancelTimer = this.after(ms, abort);
    if (outer?.aborted) abort();
    else outer?.addEventListener('abort', abort, { once: true });
    return {
      signal: controller.signal,
      cancel: () => {
        cancelTimer();
        outer?.removeEventListener('abort', abort);
      },
    };
  }

  /** The clock was advanced or set: end every span it has passed, the earliest first. */
  moved(): void {
    const now = this.clock.now();
    const due = [...this.spans].filter((s) => s.at <= now).sort((a, b) => a.at - b.at);
    for (const s of due) s.end();
  }

  /** Spans not yet ended (for tests). */
  get size(): number {
    return this.spans.size;
  }
}
