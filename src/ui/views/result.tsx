// The answer to an action the developer took, read out to screen readers as it changes.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError } from '../api.js';
import type { DeliveryResult } from '../wire.js';

export interface Outcome {
  ok: boolean;
  text: string;
}

export function describeDelivery(r: DeliveryResult): Outcome {
  if (r.delivered) return { ok: true, text: `Delivered: POST ${r.path} answered ${r.status} in ${r.duration_ms} ms` };
  return { ok: false, text: `Not delivered: ${r.reason ?? 'unknown reason'}` };
}

export function describeError(e: unknown): Outcome {
  if (e instanceof ApiError) return { ok: false, text: `${e.code}: ${e.message}` };
  return { ok: false, text: `The emulator could not be reached: ${(e as Error).message}` };
}

/** Run an action and keep its outcome for <Result>. */
export function useAction(): [Outcome | null, (f: () => Promise<Outcome>) => Promise<void>, boolean, () => void] {
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (f: () => Promise<Outcome>): Promise<void> => {
    setBusy(true);
    try {
      setOutcome(await f());
    } catch (e) {
      setOutcome(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return [outcome, run, busy, () => setOutcome(null)];
}

export function Result({ outcome }: { outcome: Outcome | null }): JSX.Element {
  return (
    <p class={`result ${outcome ? (outcome.ok ? 'ok' : 'bad') : ''}`} role="status" aria-live="polite">
      {outcome?.text ?? ''}
    </p>
  );
}
