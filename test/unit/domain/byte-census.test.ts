// The SIMD census counts exactly what one indexOf per character counts, at every length around its 16-byte chunks
// and its folds (every 255 chunks), at every density; escapedTextBytes of long ASCII text, which uses it, is still
// the byte length of the escaped text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { byteCensus } from '../../../src/domain/byte-census.js';
import { escapedTextBytes, escapeText } from '../../../src/domain/xml.js';

const WEIGHTS = new Map([
  [0x26, 4],
  [0x3c, 3],
  [0x3e, 3],
  [0x27, 5],
  [0x22, 5],
  [0x0d, 5],
]);
const ALPHABET = 'ab<>&\'"\r~ \n\t\u007f';
const LENGTHS = [0, 1, 15, 16, 17, 31, 4079, 4080, 4081, 4095, 4096, 65519, 65520, 65521, 130_000];

function reference(s: string): number {
  let n = 0;
  for (const [b, w] of WEIGHTS) for (let i = s.indexOf(String.fromCharCode(b)); i !== -1; i = s.indexOf(String.fromCharCode(b), i + 1)) n += w;
  return n;
}

/** Deterministic pseudo-random text: `density` of its characters from ALPHABET, the rest 'z'. */
function text(length: number, density: number, seed: number): string {
  let x = seed;
  let s = '';
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    s += (x >>> 8) % 1000 < density * 1000 ? ALPHABET[(x >>> 16) % ALPHABET.length] : 'z';
  }
  return s;
}

test('the census counts what indexOf counts, at every length and density', () => {
  const census = byteCensus(WEIGHTS);
  assert.ok(census, 'WebAssembly SIMD runs on Node 20');
  let seed = 1;
  for (const length of LENGTHS)
    for (const density of [0, 0.01, 0.3, 1]) {
      const s = text(length, density, seed++);
      assert.equal(census(s), reference(s), `length ${length}, density ${density}`);
    }
  // Every byte a special one, past a fold: the per-lane counters reach 255 and are folded in time.
  const dense = '&'.repeat(16 * 255 * 3 + 5);
  assert.equal(census(dense), 4 * dense.length);
  // A shorter text after a longer one: nothing of the longer is counted.
  assert.equal(census('<a>'), 6);
});

test('escapedTextBytes of long ASCII text is the escaped text’s byte length', () => {
  let seed = 100;
  for (const length of [1023, 1024, 1025, 50_000])
    for (const density of [0, 0.05, 0.5]) {
      const s = text(length, density, seed++);
      assert.equal(escapedTextBytes(s), Buffer.byteLength(escapeText(s)), `length ${length}, density ${density}`);
    }
});
