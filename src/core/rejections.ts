// The `rejected` event: every call the emulator refuses, whichever protocol carried it, with its request cut to
// a bounded size (a refused 1.5 MB body must not be copied into every subscriber's memory).
import type { Protocol, Rejection } from './events.js';

const MAX_STRING = 512;
const MAX_ITEMS = 32;
const MAX_DEPTH = 4;

/** A copy of `value` small enough to print and keep: long strings, lists and objects are cut and say so. */
export function boundRequest(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}… (${value.length} characters)` : value;
  if (value instanceof Uint8Array) return boundRequest(`<${value.length} bytes> ${Buffer.from(value.subarray(0, MAX_STRING)).toString('hex')}`, depth);
  if (value === null || typeof value !== 'object') return value ?? null;
  if (depth >= MAX_DEPTH) return '…';
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((v) => boundRequest(v, depth + 1));
    return value.length > MAX_ITEMS ? [...items, `… (${value.length} items)`] : items;
  }
  const entries = Object.entries(value);
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries.slice(0, MAX_ITEMS)) out[k.slice(0, MAX_STRING)] = boundRequest(v, depth + 1);
  if (entries.length > MAX_ITEMS) out['…'] = `${entries.length} fields`;
  return out;
}

export function rejection(call: string, protocol: Protocol, error: { code: string; message: string }, request: unknown): Rejection {
  return { type: 'rejected', call, protocol, code: error.code, message: error.message, request: boundRequest(request) };
}
