// Small hooks shared by the views.
import { useEffect, useReducer, useState } from 'preact/hooks';
import { call, inNamespace } from './api.js';
import type { Store } from './store.js';

/** Re-render when the store changes. */
export function useStore(store: Store): Store {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => store.subscribe(() => bump(0)), [store]);
  return store;
}

/** GET a control API path of the namespace on screen, again whenever `key` or the namespace changes; keeps the
 * last answer while reloading. `sentAt` is when the request behind `data` left (performance.now()), so a view can
 * tell an answer that left before an edit of its own from one that saw it. */
export function useFetch<T>(path: string, key: unknown): { data: T | null; error: string | null; sentAt: number } {
  const [state, setState] = useState<{ data: T | null; error: string | null; sentAt: number }>({ data: null, error: null, sentAt: 0 });
  useEffect(() => {
    let live = true;
    const sentAt = performance.now();
    call<T>('GET', path).then(
      (data) => live && setState({ data, error: null, sentAt }),
      (e: Error & { code?: string }) => live && setState((s) => ({ ...s, error: `${e.code ?? 'ERROR'}: ${e.message}` })),
    );
    return () => {
      live = false;
    };
  }, [inNamespace(path), key]);
  return state;
}

/** A value that changes at most every `ms` (so a burst of events refetches once). */
export function useThrottled<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value]);
  return v;
}

export function clock(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString(undefined, { hour12: false }) + `.${String(d.getMilliseconds()).padStart(3, '0')}`;
}
