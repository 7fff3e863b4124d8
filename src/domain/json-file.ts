// A JSON file a person wrote (a config, presence or conversation file): one object with known keys, or a coded
// error that says where and why.
import { BadRequestError } from './errors.js';

export type JsonObject = Record<string, unknown>;

export function isJsonObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `where` starts each message (a file name), or '' when the caller adds its own. */
function at(where: string): string {
  return where ? `${where}: ` : '';
}

export function parseJsonObject(text: string, where: string): JsonObject {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new BadRequestError(`${at(where)}not valid JSON: ${(e as Error).message}`);
  }
  if (!isJsonObject(data)) throw new BadRequestError(`${at(where)}must hold a JSON object`);
  return data;
}

/** `shown`: the keys the message lists (default all; tolerated extras such as "comment" can stay unlisted). */
export function rejectUnknownKeys(o: JsonObject, known: readonly string[], where: string, shown: readonly string[] = known): void {
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) throw new BadRequestError(`${at(where)}unknown key "${k}" (expected ${shown.join(', ')})`);
  }
}
