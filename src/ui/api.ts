// The control API, called from the emulator's own origin (so the guard lets it through).
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

let prefix = '';

/** The namespace every later call drives: /ns/NAME/v1/... (the default namespace's paths have no prefix). */
export function setNamespace(name: string): void {
  prefix = name === 'default' ? '' : `/ns/${encodeURIComponent(name)}`;
}

/** A control API path in the namespace on screen. */
export const inNamespace = (path: string): string => `${prefix}${path}`;

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(inNamespace(path), {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    throw new ApiError('UNSPECIFIED_ERROR', `the emulator answered HTTP ${res.status} with something that is not JSON`, res.status);
  }
  const err = (data as { error?: { code?: string; message?: string } } | null)?.error;
  if (!res.ok || err) throw new ApiError(err?.code ?? 'UNSPECIFIED_ERROR', err?.message ?? `HTTP ${res.status}`, res.status);
  return data as T;
}

/** Drop empty fields, so the emulator applies its own defaults. */
export function compact<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== '' && v !== undefined && v !== null)) as Partial<T>;
}
