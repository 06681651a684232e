// The event stream of a synthetic, eventsim-like music service: builds one event record per step of the
// simulation and keeps the counts for the summary. Who acts when is in sessions.ts, which page they visit
// in pages.ts, which song they play in catalog.ts. Record shape follows the real exports: logged-out
// events (Home/About/Help/Login) live inside sessions with empty user fields but a level.
import { Catalog } from './catalog';
import { type Auth, afterStep, chooseStep, type Method, type Page, type Status } from './pages';
import { type Gender, type Level, makeListeners } from './people';
import { hash2, hashString, Rng } from './random';
import { browsingMs, ListenerSchedule, listenerCount, listeningMs } from './sessions';

/**
 * One event, with eventsim's field names in the CSV column order. `null` marks what the CSV leaves empty:
 * artist/song/length on everything but NextSong, and the listener's fields on logged-out events.
 */
export interface GeneratedEvent {
  artist: string | null;
  auth: Auth;
  firstName: string | null;
  gender: Gender | null;
  itemInSession: number;
  lastName: string | null;
  length: number | null;
  level: Level;
  location: string | null;
  method: Method;
  page: Page;
  registration: number | null;
  sessionId: number;
  song: string | null;
  status: Status;
  ts: number;
  userId: string | null;
}

export interface GenerateOptions {
  /** How many events to produce; a positive integer. */
  events: number;
  /** Any string or number; the same seed and options give the same events. Default 'tracklog'. */
  seed?: string | number;
  /** First possible event time, ms since the epoch or a Date. Default 2018-11-01T00:00:00Z. */
  start?: number | Date;
  /** Days the events are spread over (roughly; very dense logs end sooner). Default 30. */
  days?: number;
}

export interface GenerationStats {
  events: number;
  /** NextSong events. */
  plays: number;
  /** Distinct userIds seen on logged-in events. */
  users: number;
  sessions: number;
  /** Distinct songs played; each catalog song has a distinct (artist, title). */
  songs: number;
  /** ts of the first and last event so far; null before the first event. */
  firstTs: number | null;
  lastTs: number | null;
}

export const DEFAULT_SEED = 'tracklog';
export const DEFAULT_START = Date.UTC(2018, 10, 1);
export const DEFAULT_DAYS = 30;

const DAY_MS = 86_400_000;

/** The catalog scales with the log so large logs still have a long tail of rarely played songs. */
export function catalogSize(events: number): number {
  return Math.max(200, Math.floor(events / 3));
}

function startMs(start: number | Date | undefined): number {
  const ms = start === undefined ? DEFAULT_START : typeof start === 'number' ? start : start.getTime();
  if (!Number.isSafeInteger(ms)) throw new RangeError(`start must be a whole number of ms, got ${ms}`);
  return ms;
}

/**
 * Produces the events one at a time (`next()`), keeping counters for the summary. Memory is flat: the
 * listener pool and a bitmap of songs played; the catalog is derived on demand.
 */
export class EventGenerator {
  readonly total: number;
  private readonly rng: Rng;
  private readonly catalog: Catalog;
  private readonly schedule: ListenerSchedule;
  private readonly seenUsers: Uint8Array;
  private readonly seenSongs: Uint32Array;
  private emitted = 0;
  private plays = 0;
  private users = 0;
  private songs = 0;
  // Plain numbers (-1 = none yet) rather than null, so V8 keeps them as unboxed doubles: these are
  // written on every event, and a boxed number per write would be garbage that outlives a young GC.
  private firstTs = -1;
  private lastTs = -1;

  constructor(options: GenerateOptions) {
    const { events } = options;
    if (!Number.isSafeInteger(events) || events < 1) {
      throw new RangeError(`events must be a positive integer, got ${events}`);
    }
    const days = options.days ?? DEFAULT_DAYS;
    if (!(days > 0) || !Number.isFinite(days))
      throw new RangeError(`days must be a positive number, got ${days}`);
    const start = startMs(options.start);
    // Events, catalog, listeners and their start times each get their own seed (salts 1-4), so a change in
    // how one of them is drawn leaves the others as they were.
    const seed = hashString(String(options.seed ?? DEFAULT_SEED));
    this.total = events;
    this.rng = new Rng(hash2(seed, 1));
    this.catalog = new Catalog(hash2(seed, 2), catalogSize(events));
    const people = makeListeners(new Rng(hash2(seed, 3)), listenerCount(events), start);
    this.schedule = new ListenerSchedule(people, events, start, days * DAY_MS, new Rng(hash2(seed, 4)));
    this.seenUsers = new Uint8Array(people.length);
    this.seenSongs = new Uint32Array(Math.ceil(this.catalog.size / 32));
  }

  get done(): boolean {
    return this.emitted >= this.total;
  }

  stats(): GenerationStats {
    return {
      events: this.emitted,
      plays: this.plays,
      users: this.users,
      sessions: this.schedule.sessions,
      songs: this.songs,
      firstTs: this.firstTs < 0 ? null : this.firstTs,
      lastTs: this.lastTs < 0 ? null : this.lastTs,
    };
  }

  // Every draw from this.rng below happens in a fixed order (session start, page, song, time on it,
  // follow-ups, idle time); reordering them changes every file generated from a given seed.
  next(): GeneratedEvent {
    if (this.emitted >= this.total) throw new Error('all events have been generated');
    const rng = this.rng;
    const schedule = this.schedule;
    const user = schedule.nextListener();
    const ts = schedule.nextTs();
    if (user.sessionId === 0) schedule.startSession(user, rng);
    const { page, loggedIn, auth, method, status } = chooseStep(user, rng);
    let artist: string | null = null;
    let song: string | null = null;
    let length: number | null = null;
    let gap: number;
    if (page === 'NextSong') {
      const played = this.catalog.song(this.catalog.sampleId(rng.next()));
      artist = played.artist;
      song = played.title;
      length = played.length;
      this.plays++;
      const word = played.id >>> 5;
      const bit = 1 << (played.id & 31);
      const seen = this.seenSongs[word] ?? 0;
      if ((seen & bit) === 0) {
        this.seenSongs[word] = seen | bit;
        this.songs++;
      }
      gap = listeningMs(played.length, rng);
    } else {
      gap = browsingMs(rng);
    }
    if (loggedIn && this.seenUsers[user.index] === 0) {
      this.seenUsers[user.index] = 1;
      this.users++;
    }
    const event: GeneratedEvent = {
      artist,
      auth,
      firstName: loggedIn ? user.firstName : null,
      gender: loggedIn ? user.gender : null,
      itemInSession: user.item,
      lastName: loggedIn ? user.lastName : null,
      length,
      level: user.level,
      location: loggedIn ? user.location : null,
      method,
      page,
      registration: loggedIn ? user.registration : null,
      sessionId: user.sessionId,
      song,
      status,
      ts,
      userId: loggedIn ? user.userId : null,
    };
    afterStep(user, page, rng);
    schedule.finishEvent(user, ts, gap, rng);
    this.emitted++;
    if (this.firstTs < 0) this.firstTs = ts;
    this.lastTs = ts;
    return event;
  }
}

/** All events as a generator; convenient for tests. Writers use EventGenerator directly for its stats. */
export function* generateEvents(options: GenerateOptions): Generator<GeneratedEvent, GenerationStats> {
  const generator = new EventGenerator(options);
  while (!generator.done) yield generator.next();
  return generator.stats();
}
