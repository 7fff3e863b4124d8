// Counting a few byte values in a long ASCII text, 16 bytes at a time. Counting what escaping adds to a 50 KB body
// took one indexOf per escaped character (thousands in markup-heavy text: ~20 µs a send, a tenth of a 50 KB
// send's cost); a WebAssembly SIMD loop built here for the bytes asked for counts them all in one pass. No npm
// library does this; the module is ~300 bytes, emitted below from the instructions it is written with (see the
// WebAssembly SIMD spec for the opcodes). Where WebAssembly is not available (node --jitless), null: callers keep
// their indexOf loop.

/** A compiled census: the weighted count of the chosen bytes in `text` (ASCII: one byte a character). */
export type ByteCensus = (text: string) => number;

const FD = 0xfd; // SIMD prefix
const op = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  get: 0x20,
  set: 0x21,
  tee: 0x22,
  load8u: 0x2d,
  i32const: 0x41,
  geU: 0x4f,
  add: 0x6a,
  sub: 0x6b,
  mul: 0x6c,
  v128load: [FD, 0x00],
  v128store: [FD, 0x0b],
  v128const: [FD, 0x0c],
  splat: [FD, 0x0f],
  eq: [FD, 0x23],
  i8sub: [FD, 0x71],
};
const VOID = 0x40;
const I32 = 0x7f;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}

const section = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content];
const name = (s: string): number[] => [...uleb(s.length), ...Buffer.from(s, 'latin1')];

/** Where the text starts in memory; the 16 bytes before it are the scratch a fold stores an accumulator in. */
const TEXT_AT = 16;
/** Chunks counted before the per-lane counters (one byte each) are folded into the total: at most 255. */
const FOLD_EVERY = 255;

/**
 * The function `count(n)`: Σ weight × occurrences of each byte in memory[TEXT_AT, TEXT_AT + n), the 16 bytes after
 * the text zeroed by the caller (0 is never asked for). Per 16-byte chunk: one load, and per byte value an
 * equality (-1 per matching lane) subtracted from its lane counters; every FOLD_EVERY chunks the counters are stored
 * and summed into the total.
 */
function countBody(bytes: number[], weights: number[]): number[] {
  const K = bytes.length;
  // Locals: 0 n (param), 1 i, 2 end, 3 total, 4 j, 5 v, 6..6+K splats, 6+K..6+2K accumulators.
  const [N, I, END, TOTAL, J, V] = [0, 1, 2, 3, 4, 5];
  const S = (k: number): number => 6 + k;
  const A = (k: number): number => 6 + K + k;
  const code: number[] = [];
  bytes.forEach((b, k) => code.push(op.i32const, ...sleb(b), ...op.splat, op.set, S(k)));
  code.push(op.i32const, ...sleb(TEXT_AT), op.set, I);
  code.push(op.get, N, op.i32const, ...sleb(TEXT_AT), op.add, op.set, END);
  code.push(op.block, VOID, op.loop, VOID);
  code.push(op.get, I, op.get, END, op.geU, op.brIf, 1);
  for (let k = 0; k < K; k++) code.push(...op.v128const, ...new Array<number>(16).fill(0), op.set, A(k));
  code.push(op.i32const, ...sleb(FOLD_EVERY), op.set, J);
  code.push(op.block, VOID, op.loop, VOID);
  code.push(op.get, I, ...op.v128load, 0, 0, op.set, V);
  for (let k = 0; k < K; k++) code.push(op.get, A(k), op.get, V, op.get, S(k), ...op.eq, ...op.i8sub, op.set, A(k));
  code.push(op.get, I, op.i32const, ...sleb(16), op.add, op.tee, I, op.get, END, op.geU, op.brIf, 1);
  code.push(op.get, J, op.i32const, 1, op.sub, op.tee, J, op.brIf, 0);
  code.push(op.end, op.end);
  for (let k = 0; k < K; k++) {
    code.push(op.i32const, 0, op.get, A(k), ...op.v128store, 0, 0);
    code.push(op.i32const, 0, op.load8u, 0, 0);
    for (let lane = 1; lane < 16; lane++) code.push(op.i32const, 0, op.load8u, 0, lane, op.add);
    code.push(op.i32const, ...sleb(weights[k]!), op.mul, op.get, TOTAL, op.add, op.set, TOTAL);
  }
  code.push(op.br, 0, op.end, op.end);
  code.push(op.get, TOTAL, op.end);
  const locals = [2, 4, I32, 1 + 2 * K, V128];
  return [...uleb(locals.length + code.length), ...locals, ...code];
}

function moduleBytes(bytes: number[], weights: number[]): Uint8Array<ArrayBuffer> {
  const body = countBody(bytes, weights);
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 1, I32, 1, I32]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0x00, 1]),
    ...section(7, [2, ...name('m'), 0x02, 0, ...name('count'), 0x00, 0]),
    ...section(10, [1, ...body]),
  ]);
}

/**
 * A census of `weights` (byte value -> weight; values 1-127) in ASCII text, or null where WebAssembly SIMD cannot run.
 */
export function byteCensus(weights: ReadonlyMap<number, number>): ByteCensus | null {
  let count: (n: number) => number;
  let memory: WebAssembly.Memory;
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes([...weights.keys()], [...weights.values()])));
    count = instance.exports.count as (n: number) => number;
    memory = instance.exports.m as WebAssembly.Memory;
  } catch {
    return null;
  }
  let view = Buffer.from(memory.buffer);
  return (text) => {
    const end = TEXT_AT + text.length + 16;
    if (end > view.length) {
      memory.grow(Math.ceil((end - view.length) / 65536));
      view = Buffer.from(memory.buffer);
    }
    view.write(text, TEXT_AT, 'latin1');
    view.fill(0, TEXT_AT + text.length, end);
    return count(text.length);
  };
}
