// XML text rules: escaping, the characters XML 1.0 can carry, and well-formedness by a real parser (saxes).
import { createRequire } from 'node:module';
import type { SaxesParser as Parser } from 'saxes';
import { byteCensus, type ByteCensus } from './byte-census.js';

// Loaded on first use: most runs never validate raw XML, and start-up time matters.
const load = createRequire(import.meta.url);
let Saxes: typeof Parser | undefined;

const TEXT_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\r': '&#xD;',
  // XML 1.1-minded parsers fold NEL, LINE SEPARATOR (and xmldom PARAGRAPH SEPARATOR) into \n; references survive
  // every parser.
  '\u0085': '&#x85;',
  '\u2028': '&#x2028;',
  '\u2029': '&#x2029;',
};
const ATTR_ESCAPES: Record<string, string> = { ...TEXT_ESCAPES, '\t': '&#x9;', '\n': '&#xA;' };

// One test before any replace: most values (JIDs, types, short bodies) have nothing to escape, and are returned as
// they are, with no copy.
const TEXT_SPECIAL = /[&<>"'\r\u0085\u2028\u2029]/;
const TEXT_SPECIALS = new RegExp(TEXT_SPECIAL.source, 'g');
const ATTR_SPECIAL = /[&<>"'\r\n\t\u0085\u2028\u2029]/;
const ATTR_SPECIALS = new RegExp(ATTR_SPECIAL.source, 'g');

/** Escape character data; line-end characters are written as references so parsers do not fold them into \n. */
export function escapeText(s: string): string {
  return TEXT_SPECIAL.test(s) ? s.replace(TEXT_SPECIALS, (c) => TEXT_ESCAPES[c]!) : s;
}

/** Escape an attribute value; whitespace is referenced so attribute normalisation keeps it. */
export function escapeAttr(s: string): string {
  return ATTR_SPECIAL.test(s) ? s.replace(ATTR_SPECIALS, (c) => ATTR_ESCAPES[c]!) : s;
}

/** What escaping each character adds to the UTF-8 byte count of character data; the ASCII ones apart. */
const TEXT_ESCAPE_EXTRA: ReadonlyArray<[string, number]> = Object.entries(TEXT_ESCAPES).map(([c, e]) => [c, Buffer.byteLength(e) - Buffer.byteLength(c)]);
const ASCII_ESCAPE_EXTRA = TEXT_ESCAPE_EXTRA.filter(([c]) => c.charCodeAt(0) < 0x80);
/**
 * What escaping adds to long ASCII text, counted in one SIMD pass (null without WebAssembly: indexOf below). Built on
 * the first long text, not at start-up (compiling and instantiating the module takes about a millisecond).
 */
let asciiEscapes: ByteCensus | null | undefined;
const asciiCensus = (): ByteCensus | null =>
  asciiEscapes === undefined ? (asciiEscapes = byteCensus(new Map(ASCII_ESCAPE_EXTRA.map(([c, extra]) => [c.charCodeAt(0), extra])))) : asciiEscapes;
/** From this length the census costs less than one indexOf per escaped character. */
const CENSUS_FROM = 1024;

/**
 * The UTF-8 byte length of escapeText(s), without building it: `utf8Bytes` (the caller already has it) plus what
 * each escape adds. One indexOf per escaped character (vectorised) costs less than a regular expression's walk.
 */
export function escapedTextBytes(s: string, utf8Bytes = Buffer.byteLength(s, 'utf8')): number {
  if (utf8Bytes === s.length && s.length >= CENSUS_FROM) {
    const census = asciiCensus();
    if (census) return utf8Bytes + census(s);
  }
  let n = utf8Bytes;
  // As many UTF-8 bytes as units: ASCII text, where only the ASCII escapes can occur.
  for (const [c, extra] of utf8Bytes === s.length ? ASCII_ESCAPE_EXTRA : TEXT_ESCAPE_EXTRA)
    for (let i = s.indexOf(c); i !== -1; i = s.indexOf(c, i + 1)) n += extra;
  return n;
}

// Anything outside XML 1.0's Char production, lone surrogates included.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;
// The same set for long texts: the controls and U+FFFE/U+FFFF one by one (isWellFormed covers lone surrogates).
const NOT_XML_UNITS = [...Array.from({ length: 32 }, (_, c) => String.fromCharCode(c)).filter((c) => !'\t\n\r'.includes(c)), '\ufffe', '\uffff'];
/** Past this many UTF-16 units, a vectorised indexOf per forbidden unit beats the expression's char-by-char walk. */
const LONG_TEXT = 2048;

/** The first code point XML 1.0 cannot carry, as U+XXXX, or null when every one is allowed. */
export function firstNonXmlChar(s: string): string | null {
  if (s.length >= LONG_TEXT && (s as string & { isWellFormed(): boolean }).isWellFormed() && !NOT_XML_UNITS.some((c) => s.includes(c))) return null;
  const m = NOT_XML_CHAR.exec(s);
  if (!m) return null;
  return `U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

const NOT_XML_CHARS = new RegExp(NOT_XML_CHAR.source, 'gu');

/** Each code point XML 1.0 cannot carry replaced by U+FFFD: written as a reference, it would crash XMPP clients. */
export function replaceNonXmlChars(s: string): string {
  return firstNonXmlChar(s) === null ? s : s.replace(NOT_XML_CHARS, '\ufffd');
}

/**
 * Why `fragment` is not well-formed content of a jabber:client element, or null when it is.
 * The fragment is parsed inside a wrapper element, namespace-aware, so it must be element content on its own.
 */
export function xmlFragmentError(fragment: string): string | null {
  const bad = firstNonXmlChar(fragment);
  if (bad) return `contains ${bad}, which XML 1.0 cannot carry`;
  const open = '<message xmlns="jabber:client">';
  const why = xmlDocumentError(`${open}${fragment}</message>`);
  // Report positions within the fragment, not within our wrapper.
  return why?.replace(/^1:(\d+): /, (_, col: string) => `column ${Math.max(1, Number(col) - open.length)}: `) ?? null;
}

/** Deeper nesting than any stanza needs; past it the parse stops, so a hostile document costs linear time. */
export const MAX_XML_DEPTH = 100;

/**
 * Why an element `depth` levels down (the root at 1) is refused, or null. Every XML reader checks each open tag
 * with it and stops at the first refusal: namespace handling makes each open element cost its depth.
 */
export function xmlDepthError(depth: number): string | null {
  return depth > MAX_XML_DEPTH ? `elements nest deeper than ${MAX_XML_DEPTH} levels` : null;
}

/** Why `doc` is not a well-formed XML document (or nests deeper than MAX_XML_DEPTH), or null when it is. */
export function xmlDocumentError(doc: string): string | null {
  Saxes ??= (load('saxes') as { SaxesParser: typeof Parser }).SaxesParser;
  const parser = new Saxes({ xmlns: true, position: true });
  let first: string | null = null;
  parser.on('error', (e) => {
    first ??= e.message;
  });
  // Namespace handling makes each open element cost its depth, so thousands of levels took seconds to minutes.
  let depth = 0;
  parser.on('opentagstart', () => {
    const tooDeep = xmlDepthError(++depth);
    if (tooDeep) throw new Error(tooDeep);
  });
  parser.on('closetag', () => void depth--);
  try {
    parser.write(doc).close();
  } catch (e) {
    first ??= (e as Error).message;
  }
  return first;
}

/** The text of the <body> child of a raw-XML message's content, or null when it has none (or is not well-formed). */
export function bodyTextOf(fragment: string): string | null {
  Saxes ??= (load('saxes') as { SaxesParser: typeof Parser }).SaxesParser;
  const parser = new Saxes({ xmlns: true });
  let depth = 0;
  let inBody = false;
  let text: string | null = null;
  const add = (t: string): void => {
    if (inBody) text = (text ?? '') + t;
  };
  parser.on('opentag', (tag) => {
    depth++;
    if (depth === 2 && tag.local === 'body' && text === null) inBody = true;
  });
  parser.on('text', add);
  parser.on('cdata', add);
  parser.on('closetag', () => {
    if (depth === 2 && inBody) {
      inBody = false;
      text ??= '';
    }
    depth--;
  });
  try {
    parser.write(`<message xmlns="jabber:client">${fragment}</message>`).close();
  } catch {
    return null;
  }
  return text;
}
