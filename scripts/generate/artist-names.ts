// Artist names for the synthetic catalog (catalog.ts): a syllable chain that is unique per artist index,
// dressed in patterns like "The …s", "DJ …" or "… & The Comets". Invented, never taken from the real logs;
// some carry accents, commas, apostrophes and ampersands, as real artist names do.
import { SALT_ACCENT, SALT_ARTIST, SALT_EXTRA, SALT_OFFSET } from './catalog-salts';
import { hash3, itemAt } from './random';

const PLURAL_NOUNS = ['Comets', 'Strangers', 'Wolves', 'Lanterns', 'Pilots', 'Hearts', 'Ravens', 'Señoritas'];
const ENSEMBLES = ['Trio', 'Quartet', 'Orchestra', 'Ensemble', 'Band', 'Collective'];

/** Artist names are chains of consonant+vowel syllables; with single-letter parts a chain decodes uniquely. */
const CONSONANTS = ['b', 'd', 'f', 'g', 'h', 'j', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'z'];
const VOWELS = ['a', 'e', 'i', 'o', 'u'];
const ACCENTED: Record<string, string> = { a: 'å', e: 'é', i: 'í', o: 'ö', u: 'ó' };
const SYLLABLES = CONSONANTS.flatMap((c) => VOWELS.map((v) => c + v));
const S = SYLLABLES.length;

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** A syllable chain from an arbitrary hash (not unique; used for the decorative parts of names). */
function looseChain(h: number, syllables: number): string {
  let out = '';
  let x = h >>> 0;
  for (let i = 0; i < syllables; i++) {
    out += itemAt(SYLLABLES, x % S);
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
    letters.push(itemAt(SYLLABLES, scrambled));
  }
  // Accents only replace letters by ones the syllables never contain (k by ç, vowels by accented
  // vowels), so stripping them gives back the chain and names stay unique.
  const accent = hash3(seed, artist, SALT_ACCENT);
  const position = (accent >>> 8) % len;
  const syllable = itemAt(letters, position);
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
  if (pattern < 75) return `${core} & The ${itemAt(PLURAL_NOUNS, extra)}`;
  if (pattern < 79) return `${core}, ${looseChain(extra, 2)} & ${looseChain(extra >>> 11, 2)}`;
  if (pattern < 83) return `${core}'${looseChain(extra, 1).toLowerCase()}`;
  if (pattern < 88) return `${core} ${itemAt(ENSEMBLES, extra)}`;
  if (pattern < 92) return `Los ${core}s`;
  if (pattern < 96) return `${core} feat. ${looseChain(extra, 2)}`;
  return `${core} y Su Conjunto`;
}
