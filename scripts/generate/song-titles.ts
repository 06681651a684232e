// Song titles for the synthetic catalog (catalog.ts). Invented words, never taken from the real logs.
// Titles deliberately carry characters that are awkward in URLs, CSV and CQL (/ ? & # % + ' " ,
// parentheses), some are 150+ characters, some are non-ASCII.
import { SALT_OFFSET, SALT_TITLE, SALT_WORDS } from './catalog-salts';
import { hash3, itemAt, unitFromHash } from './random';

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

const ROMAN = ['I', 'II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX', 'X'];

type TitleShape = (w: string, a: string, b: string, h: number) => string;

/** A long title (150+ characters, like the longest real ones) built from movement names. */
function longTitle(w: string, a: string, b: string, h: number): string {
  let title = `${w}: A Suite for the ${a} and the ${b} (`;
  for (let i = 0; title.length < 150; i++) {
    title += `${i > 0 ? ' / ' : ''}${itemAt(ROMAN, i)}. The ${itemAt(WORDS, (h >>> (i % 24)) + i)} of ${itemAt(WORDS, h + i * 13)}`;
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

/**
 * The title of song `id`, the `nth` (0-based) song of `artist`. Each artist starts at its own place in
 * TITLE_WORDS and its songs take the words after it; nth stays below the catalog's SONGS_PER_ARTIST, which
 * is less than TITLE_WORDS.length, so no two songs of an artist share a first word, hence a title.
 */
export function songTitle(seed: number, id: number, artist: number, nth: number): string {
  const word = itemAt(TITLE_WORDS, (hash3(seed, artist, SALT_OFFSET) % TITLE_WORDS.length) + nth);
  const h = hash3(seed, id, SALT_WORDS);
  const a = itemAt(WORDS, h);
  const b = itemAt(WORDS, h >>> 9);
  const shape = FORCED_SHAPES[id] ?? weightedShape(hash3(seed, id, SALT_TITLE));
  return shape(word, a, b, h);
}
