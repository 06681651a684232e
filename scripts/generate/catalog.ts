// The song catalog for synthetic logs. Songs are derived from their id by hashing instead of being held in
// memory, so a catalog of millions of songs costs nothing; only the most popular ones are cached. Names
// come from artist-names.ts and song-titles.ts; plays are Zipf-distributed over the ids (sampleId).
import { artistName } from './artist-names';
import { SALT_LENGTH } from './catalog-salts';
import { hash3, hash4, unitFromHash } from './random';
import { songTitle } from './song-titles';

export interface Song {
  /** Catalog id, 0-based; id 0 is the most popular song. */
  id: number;
  artist: string;
  title: string;
  /** Seconds, rounded to 5 decimals like the real logs. */
  length: number;
}

/** Average songs per artist; every artist gets `ceil(size / artists)` or one fewer. */
const SONGS_PER_ARTIST = 8;
/** The most popular songs are cached: under Zipf the top 32k are ~80% of plays even for a 1M-event log. */
const CACHE_SIZE = 32_768;

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
    // Artists take ids round-robin, so an artist's songs spread over the popularity ranks.
    const artist = id % this.artists;
    const nth = Math.floor(id / this.artists);
    return {
      id,
      artist: artistName(this.seed, artist),
      title: songTitle(this.seed, id, artist, nth),
      length: songLength(this.seed, id),
    };
  }
}
