// Seeded randomness for the synthetic event generator. The same seed must give the same bytes on every
// machine and every run, so nothing here touches Math.random or the clock.

/** Murmur3's finaliser: spreads every input bit over the whole 32-bit result. */
function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mixWord(h: number, word: number): number {
  let k = Math.imul(word | 0, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  let x = h ^ k;
  x = (x << 13) | (x >>> 19);
  return (Math.imul(x, 5) + 0xe6546b64) | 0;
}

/**
 * Stateless hash of 32-bit integers to an unsigned 32-bit integer. The catalog uses it to derive a song or
 * artist from its id alone, so it never has to hold the whole catalog in memory. Fixed arities rather
 * than rest parameters: this runs for every play of a song that is not cached.
 */
export function hash2(a: number, b: number): number {
  return fmix32(mixWord(mixWord(0x2545f491, a), b) ^ 2);
}

export function hash3(a: number, b: number, c: number): number {
  return fmix32(mixWord(mixWord(mixWord(0x2545f491, a), b), c) ^ 3);
}

export function hash4(a: number, b: number, c: number, d: number): number {
  return fmix32(mixWord(mixWord(mixWord(mixWord(0x2545f491, a), b), c), d) ^ 4);
}

/** FNV-1a over UTF-16 code units, finalised; turns a user-supplied seed string into 32 bits. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** A hash as a float in [0, 1). */
export function unitFromHash(h: number): number {
  return (h >>> 0) / 4294967296;
}

/**
 * items[index mod length], for any integer index, negative too: how hashes and offsets pick words from a
 * list without a range check at every call site.
 */
export function itemAt<T>(items: readonly T[], index: number): T {
  const item = items[((index % items.length) + items.length) % items.length];
  if (item === undefined) throw new Error('index into an empty word list');
  return item;
}

/** sfc32: small, fast, and good enough statistically for synthetic data; state is four 32-bit words. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    // The first outputs of a fresh sfc32 state are correlated with the seed; burn them.
    for (let i = 0; i < 15; i++) this.uint32();
  }

  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('Rng.pick from an empty list');
    return item;
  }

  /** Standard normal (Box-Muller; the second value is dropped to keep the stream simple). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }
}
