// A user's regular expression (outbox `matches=`, a conversation file's `matches`, a fault rule's `body`), run on
// re2js: a pure-JS port of RE2 that matches in time linear in the input, so no pattern can freeze the event loop
// the way `(a+)+$` does on a backtracking engine. No lookaround or backreferences; the error says so.
import { RE2JS } from 're2js';
import { BadRequestError } from './errors.js';

/** A compiled pattern: what an outbox filter calls. `source` carries the flags inline, e.g. `(?i)hello`. */
export interface Pattern {
  test(s: string): boolean;
  readonly source: string;
}

// JavaScript's flag letters that mean something for a test; g and y (position state) and u, d (RE2 is always
// Unicode-aware; no indices are returned) change nothing here.
const FLAGS: Record<string, string> = { i: 'i', s: 's', m: 'm', g: '', y: '', u: '', d: '' };

/**
 * Compile `source` with JavaScript-style `flags` (i, s, m) into a linear-time pattern. Throws BAD_REQUEST naming
 * `what` when the pattern is not valid RE2 or a flag is unknown.
 */
export function compilePattern(source: string, flags = '', what = 'matches'): Pattern {
  let inline = '';
  for (const f of flags) {
    const mapped = FLAGS[f];
    if (mapped === undefined) throw new BadRequestError(`${what}: unknown regular expression flag "${f}" (use i, s or m)`);
    if (!inline.includes(mapped)) inline += mapped;
  }
  const full = inline ? `(?${inline})${source}` : source;
  let re: RE2JS;
  try {
    re = RE2JS.compile(RE2JS.translateRegExp(full));
  } catch (e) {
    throw new BadRequestError(`${what} is not a valid regular expression (RE2 syntax: no lookaround or backreferences): ${(e as Error).message}`);
  }
  return { test: (s) => re.test(s), source: full };
}

/** A pattern matching exactly `text`, the whole body. */
export function exactPattern(text: string): Pattern {
  return { test: (s) => s === text, source: `^${RE2JS.quote(text)}$` };
}

/** `*` for any run of characters, case-insensitive, the whole text (a pattern of many stars must not backtrack). */
export function wildcardPattern(glob: string): Pattern {
  return compilePattern(
    `^${glob
      .split('*')
      .map((p) => RE2JS.quote(p))
      .join('.*')}$`,
    'is',
  );
}
