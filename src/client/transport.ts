// JSON over HTTP to the emulator, for the SDK and for RemoteControl alike: one way to read "HOST:PORT or URL",
// one way to turn a failed answer into the typed error it names.
import { errorFromBody, UnspecifiedError } from '../domain/errors.js';

/** `http://HOST:PORT` from "HOST:PORT" or a URL, without a trailing slash. */
export function baseUrl(hostOrUrl: string): string {
  return (/^https?:\/\//.test(hostOrUrl) ? hostOrUrl : `http://${hostOrUrl}`).replace(/\/+$/, '');
}

export interface JsonRequest {
  method: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** the error message when nothing answers, from the low-level cause */
  unreachable(cause: NodeJS.ErrnoException | undefined, error: Error): string;
}

/** The parsed JSON answer; a non-2xx answer throws the XmppError its body names. */
export async function requestJson<T>(url: string, r: JsonRequest): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: r.method,
      headers: { ...(r.body === undefined ? {} : { 'Content-Type': 'application/json' }), ...r.headers },
      body: r.body === undefined ? undefined : JSON.stringify(r.body),
    });
  } catch (e) {
    throw new UnspecifiedError(r.unreachable((e as Error & { cause?: NodeJS.ErrnoException }).cause, e as Error));
  }
  const data: unknown = await res.json().catch(() => null);
  if (!res.ok) throw errorFromBody(data, res.status);
  return data as T;
}
