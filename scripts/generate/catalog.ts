// The song catalog for synthetic logs. Songs are derived from their id by hashing instead of being held in
// memory, so a catalog of millions of songs costs nothing; only the most popular ones are cached. All words
// are invented here (never taken from the real logs). Titles deliberately carry characters that are awkward
// in URLs, CSV and CQL (/ ? & # % + ' " , parentheses), some are 150+ characters, some are non-ASCII.
import { hash3, hash4, unitFromHash } from './random';

export interface Song {
  /** Catalog id, 0-based; id 0 is the most popular song. */
  id: number;
  artist: string;
  title: string;
  /** Seconds, rounded to 5 decimals like the real logs. */
  length: number;
}

/**
 * Words that open a title. A title's first space-separated token is one of these, possibly wrapped in or
 * followed by one of `( ) ? ! : ,`, which never occur inside them; so the first token identifies the word,
 * and songs of one artist, which get different words, never share a title.
 */
const TITLE_WORDS = [
  'Midnight',
  'Velvet',
  'Satellite',
  'Ember',
  'Harbor',
  'Lantern',
  'Gravity',
  'Paper',
  'Neon',
  'Honey',
  'Thunder',
  'Silver',
  'Wildfire',
  'Ocean',
  'Static',
  'Marigold',
  'Echo',
  'Shadow',
  'Sunday',
  'Borderline',
  'Crystal',
  'Daydream',
  'Runaway',
  'Whisper',
  'Copper',
  'Halo',
  'Monsoon',
  'Firefly',
  'Orbit',
  'Cathedral',
  'Winter',
  'Starlight',
  'Pilgrim',
  'Carousel',
  'Desert',
  'Lullaby',
  'Hurricane',
  'Phantom',
  'Rosewood',
  'Sapphire',
  'Twilight',
  'Avalanche',
  'Boulevard',
  'Canyon',
  'Driftwood',
  'Falcon',
  'Glacier',
  'Horizon',
  'Ivory',
  'Jasmine',
  'Kaleidoscope',
  'Labyrinth',
  'Meadow',
  'Nightingale',
  'Oasis',
  'Quicksand',
  'Riverbed',
  'Sparrow',
  'Tambourine',
  'Undertow',
  'Voyager',
  'Wanderlust',
  'Yesterday',
  'Zephyr',
  'Amber',
  'Blackbird',
  'Cinnamon',
  'Dynamite',
  'Eclipse',
  'Goldrush',
  'Heartbeat',
  'Indigo',
  'Jukebox',
  'Karma',
  'Lightning',
  'Moonshine',
  'Nomad',
  'Overdrive',
  'Polaroid',
  'Rainmaker',
  'Skyline',
  'Tidal',
  'Utopia',
  'Vertigo',
  'Wildflower',
  'Crossroads',
  'Breakaway',
  'Afterglow',
  'Backbeat',
  'Heatwave',
  'Riptide',
  'Sundown',
  'Stardust',
  'Mirage',
  'Reverie',
  'Solstice',
  'Tempest',
  'Wavelength',
  "Don't",
  "Ain't",
  "Lovin'",
  "Rock'n'Roll",
  'Café',
  'Mañana',
  'Déjà',
  'Über',
  'Ça',
  'Smörgås',
  'Tōkyō',
];

/** Second and later words of titles; anything goes here. */
const WORDS = [
  'Heart',
  'Rain',
  'Fire',
  'Road',
  'Dreams',
  'Light',
  'Night',
  'Sky',
  'Love',
  'Blues',
  'Train',
  'River',
  'Moon',
  'Sun',
  'Roses',
  'Garden',
  'City',
  'Rebel',
  'Machine',
  'Mountain',
  'Morning',
  'Girl',
  'Boy',
  'Stranger',
  'Radio',
  'Highway',
  'Window',
  'Ghost',
  'Angel',
  'Devil',
  'Feeling',
  'Lies',
  'Tears',
  'Kings',
  'Wolves',
  'Stars',
  'Waves',
  'Bells',
  'Rhythm',
  'Shore',
  'Flame',
  'Mirror',
  'Storm',
  'Secret',
  'Letter',
  'Avenue',
  'Sorrow',
  'Soul',
  'Gold',
  'Smoke',
  'Wine',
  'Dust',
  'Chains',
  'Corazón',
  'Été',
  'Noël',
  "Rock'n'Roll",
  "Jumpin'",
];

const PLURAL_NOUNS = ['Comets', 'Strangers', 'Wolves', 'Lanterns', 'Pilots', 'Hearts', 'Ravens', 'Señoritas'];
const ENSEMBLES = ['Trio', 'Quartet', 'Orchestra', 'Ensemble', 'Band', 'Collective'];
const ROMAN = ['I', 'II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX', 'X'];

/** Artist names are chains of consonant+vowel syllables; with single-letter parts a chain decodes uniquely. */
const CONSONANTS = ['b', 'd', 'f', 'g', 'h', 'j', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'z'];
const VOWELS = ['a', 'e', 'i', 'o', 'u'];
const ACCENTED: Record<string, string> = { a: 'å', e: 'é', i: 'í', o: 'ö', u: 'ó' };
const SYLLABLES = CONSONANTS.flatMap((c) => VOWELS.map((v) => c + v));
const S = SYLLABLES.length;

/** Average songs per artist; every artist gets `ceil(size / artists)` or one fewer. */
const SONGS_PER_ARTIST = 8;
/** The most popular songs are cached: under Zipf the top 32k are ~80% of plays even for a 1M-event log. */
const CACHE_SIZE = 32_768;

// Salts keep the different things hashed from one id independent of each other.
const SALT_ARTIST = 1;
const SALT_ACCENT = 2;
const SALT_TITLE = 3;
const SALT_WORDS = 4;
const SALT_LENGTH = 5;
const SALT_OFFSET = 6;
const SALT_EXTRA = 7;

function at<T>(items: readonly T[], index: number): T {
  const item = items[((index % items.length) + items.length) % items.length];
  if (item === undefined) throw new Error('index into an empty word list');
  return item;
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** A syllable chain from an arbitrary hash (not unique; used for the decorative parts of names). */
function looseChain(h: number, syllables: number): string {
  let out = '';
  let x = h >>> 0;
  for (let i = 0; i < syllables; i++) {
    out += at(SYLLABLES, x % S);
    x = Math.floor(x / S) + i * 7919;
  }
  return capitalize(out);
}

/**
 * An artist's distinctive word, a bijection of its index: 2 syllables for the first S², then 3, then 4.
 * Digits are scrambled with seed-dependent offsets (each step invertible) so neighbouring artists look
 * unrelated.
 */
function artistCore(seed: number, artist: number): string {
  let rest = artist;
  let len = 2;
  while (rest >= S ** len) {
    rest -= S ** len;
    len++;
    if (len > 5) throw new Error(`artist index ${artist} is beyond what the name space covers`);
  }
  let previous = 0;
  const letters: string[] = [];
  for (let i = 0; i < len; i++) {
    const digit = rest % S;
    rest = Math.floor(rest / S);
    const offset = hash3(seed, SALT_OFFSET, i) % S;
    const scrambled = i === 0 ? (digit * 37 + offset) % S : (digit * 23 + previous + offset) % S;
    previous = scrambled;
    letters.push(at(SYLLABLES, scrambled));
  }
  // Accents only replace letters by ones the syllables never contain (k by ç, vowels by accented
  // vowels), so stripping them gives back the chain and names stay unique.
  const accent = hash3(seed, artist, SALT_ACCENT);
  const position = (accent >>> 8) % len;
  const syllable = at(letters, position);
  if (accent % 100 < 7) {
    const vowel = syllable.charAt(1);
    letters[position] = syllable.charAt(0) + (ACCENTED[vowel] ?? vowel);
  } else if (accent % 100 < 9 && syllable.startsWith('k')) {
    letters[position] = `ç${syllable.charAt(1)}`;
  }
  return capitalize(letters.join(''));
}

/** Patterns never put a syllable chain where a prefix word (The, DJ, Los) stands, so names stay unique. */
export function artistName(seed: number, artist: number): string {
  const core = artistCore(seed, artist);
  const h = hash3(seed, artist, SALT_ARTIST);
  const pattern = h % 100;
  const extra = hash3(seed, artist, SALT_EXTRA);
  if (pattern < 52) return core;
  if (pattern < 60) return `The ${core}s`;
  if (pattern < 64) return `DJ ${core}`;
  if (pattern < 70) return `${core} ${looseChain(extra, 2)}`;
  if (pattern < 75) return `${core} & The ${at(PLURAL_NOUNS, extra)}`;
  if (pattern < 79) return `${core}, ${looseChain(extra, 2)} & ${looseChain(extra >>> 11, 2)}`;
  if (pattern < 83) return `${core}'${looseChain(extra, 1).toLowerCase()}`;
  if (pattern < 88) return `${core} ${at(ENSEMBLES, extra)}`;
  if (pattern < 92) return `Los ${core}s`;
  if (pattern < 96) return `${core} feat. ${looseChain(extra, 2)}`;
  return `${core} y Su Conjunto`;
}

type TitleShape = (w: string, a: string, b: string, h: number) => string;

/** A long title (150+ characters, like the longest real ones) built from movement names. */
function longTitle(w: string, a: string, b: string, h: number): string {
  let title = `${w}: A Suite for the ${a} and the ${b} (`;
  for (let i = 0; title.length < 150; i++) {
    title += `${i > 0 ? ' / ' : ''}${at(ROMAN, i)}. The ${at(WORDS, (h >>> (i % 24)) + i)} of ${at(WORDS, h + i * 13)}`;
  }
  return `${title})`;
}

/**
 * Title shapes. The first ten are given to the ten most popular songs, in order, so that even a short log
 * carries every awkward character; the rest are drawn by weight.
 */
const FORCED_SHAPES: TitleShape[] = [
  (w, a, b) => `${w} / ${a} ${b}`,
  (w, a) => `${w}? ${a}`,
  (w, a, b) => `${w} & ${a} ${b}`,
  (w, a) => `${w} #${a.length + 1} ${a}`,
  (w, a) => `${w} (100% ${a})`,
  (w, a) => `${w} + ${a}`,
  (w, a) => `${w} ('Til the ${a} Comes)`,
  (w, a, b) => `${w} "${a}" ${b}`,
  longTitle,
  (w, a) => `${w}, ${a} à la Mañana`,
];

const WEIGHTED_SHAPES: [number, TitleShape][] = [
  [16, (w) => w],
  [22, (w, a) => `${w} ${a}`],
  [8, (w, a) => `${w} of the ${a}`],
  [6, (w, a, b) => `${w} in ${a} ${b}`],
  [5, (w) => `${w} (Live)`],
  [4, (w, a) => `${w} (${a} Remix)`],
  [3, (w) => `${w} (Album Version)`],
  [3, (w, a) => `(${w}) ${a}`],
  [2, (w, a, b) => `${w}! ${a} ${b}`],
  [3, (w, a) => `${w} ${a} (Remastered 2009)`],
  [4, (w, a) => `${w} Don't ${a}`],
  [3, (w, a) => `${w} ('Til the ${a} Comes)`],
  [2, (w, a, b) => `${w} / ${a} ${b}`],
  [1.5, (w, a) => `${w}? ${a}`],
  [1.5, (w) => `${w}?`],
  [2, (w, a, b) => `${w} & ${a} ${b}`],
  [0.8, (w, a) => `${w} #${a.length + 1} ${a}`],
  [0.6, (w, a) => `${w} (100% ${a})`],
  [0.6, (w, a) => `${w} + ${a}`],
  [0.8, (w, a, b) => `${w} "${a}" ${b}`],
  [1.5, (w, a) => `${w}, ${a}`],
  [1, (w, a) => `${w} à la ${a}`],
  [0.4, longTitle],
];
const SHAPE_TOTAL = WEIGHTED_SHAPES.reduce((sum, [weight]) => sum + weight, 0);

function weightedShape(h: number): TitleShape {
  let x = unitFromHash(h) * SHAPE_TOTAL;
  for (const [weight, shape] of WEIGHTED_SHAPES) {
    x -= weight;
    if (x < 0) return shape;
  }
  const last = WEIGHTED_SHAPES[WEIGHTED_SHAPES.length - 1];
  if (last === undefined) throw new Error('no title shapes');
  return last[1];
}

/** Song lengths: log-normal around ~4 minutes, clamped to 30–600 s like real catalogs. */
function songLength(seed: number, id: number): number {
  const u1 = 1 - unitFromHash(hash3(seed, id, SALT_LENGTH));
  const u2 = unitFromHash(hash4(seed, id, SALT_LENGTH, 1));
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  const seconds = Math.min(600, Math.max(30, Math.exp(Math.log(230) + 0.38 * z)));
  return Math.round(seconds * 1e5) / 1e5;
}

export class Catalog {
  readonly size: number;
  readonly artists: number;
  private readonly seed: number;
  private readonly logSpan: number;
  private readonly cache: (Song | undefined)[];

  constructor(seed: number, size: number) {
    if (!Number.isSafeInteger(size) || size < 1) throw new Error(`catalog size must be a positive integer`);
    this.seed = seed;
    this.size = size;
    this.artists = Math.ceil(size / SONGS_PER_ARTIST);
    this.logSpan = Math.log(size + 1);
    this.cache = new Array<Song | undefined>(Math.min(size, CACHE_SIZE));
  }

  /** The song with this id; ids are 0 … size-1. */
  song(id: number): Song {
    if (id < this.cache.length) {
      const cached = this.cache[id];
      if (cached !== undefined) return cached;
      const song = this.build(id);
      this.cache[id] = song;
      return song;
    }
    return this.build(id);
  }

  /**
   * Continuous Zipf with exponent 1: x = (size+1)^u has density ∝ 1/x, so rank k = floor(x) is drawn with
   * probability ln(1 + 1/k) / ln(size + 1) ≈ 1 / (k ln size). Song id = rank - 1.
   */
  sampleId(u: number): number {
    const id = Math.floor(Math.exp(u * this.logSpan)) - 1;
    return id < 0 ? 0 : id >= this.size ? this.size - 1 : id;
  }

  private build(id: number): Song {
    const artist = id % this.artists;
    const nth = Math.floor(id / this.artists);
    // Each artist starts at its own place in TITLE_WORDS; nth < SONGS_PER_ARTIST < TITLE_WORDS.length.
    const word = at(TITLE_WORDS, (hash3(this.seed, artist, SALT_OFFSET) % TITLE_WORDS.length) + nth);
    const h = hash3(this.seed, id, SALT_WORDS);
    const a = at(WORDS, h);
    const b = at(WORDS, h >>> 9);
    const shape = FORCED_SHAPES[id] ?? weightedShape(hash3(this.seed, id, SALT_TITLE));
    return {
      id,
      artist: artistName(this.seed, artist),
      title: shape(word, a, b, h),
      length: songLength(this.seed, id),
    };
  }
}
