// A seeded pseudo-random source (mulberry32): with the same seed, every random choice repeats exactly.

/** A number in [0, 1). */
export type Random = () => number;

export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `bytes` random bytes as hex (ids, boundaries, resources), from a seeded source. */
export function randomHex(random: Random, bytes: number): string {
  let hex = '';
  for (let i = 0; i < bytes; i++)
    hex += Math.floor(random() * 256)
      .toString(16)
      .padStart(2, '0');
  return hex;
}

/** A stable 32-bit seed for one stream of choices (a namespace, say) derived from the run's seed. */
export function deriveSeed(seed: number, stream: string): number {
  // FNV-1a over the stream's name, mixed with the seed.
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < stream.length; i++) {
    h ^= stream.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export const MAX_SEED = 2 ** 32 - 1;

/** --seed's value: a whole number from 0 to 2^32 - 1. */
export function isSeed(v: unknown): v is number {
  return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= MAX_SEED;
}
