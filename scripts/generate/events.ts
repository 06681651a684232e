// The event stream of a synthetic, eventsim-like music service. Listeners alternate between idle time and
// sessions; a heap keyed by each listener's next event time interleaves them, so timestamps never go back
// and a day's worth of events looks like a day of the real logs. Session shape follows the real exports:
// logged-out events (Home/About/Help/Login) live inside sessions with empty user fields but a level.
import { Catalog } from './catalog';
import { type Gender, type Level, type Listener, makeListeners } from './people';
import { hash2, hashString, Rng } from './random';

export type Page =
  | 'NextSong'
  | 'Home'
  | 'Login'
  | 'Logout'
  | 'Settings'
  | 'Save Settings'
  | 'Upgrade'
  | 'Submit Upgrade'
  | 'Downgrade'
  | 'Submit Downgrade'
  | 'About'
  | 'Help'
  | 'Error'
  | 'Add to Playlist'
  | 'Add Friend'
  | 'Thumbs Up'
  | 'Thumbs Down'
  | 'Roll Advert';

export type Auth = 'Logged In' | 'Logged Out';
export type Method = 'GET' | 'PUT';
export type Status = 200 | 307 | 404;

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
const MIN_IDLE_MS = 5 * 60_000;
const NON_PLAY_GAP_MS = 20_000;
/** Listener state is the one thing held per user, so the pool is capped; 20k keep 10M-event logs lean. */
const MAX_LISTENERS = 20_000;

// Measured from this generator (see the unit tests' span check): events per session and mean ms between
// consecutive events of a session. They set the idle time that spreads N events over the requested days.
const MEAN_SESSION_EVENTS = 17.5;
const MEAN_EVENT_GAP_MS = 197_000;

const HTTP: Record<Page, { method: Method; status: Status }> = {
  NextSong: { method: 'PUT', status: 200 },
  Home: { method: 'GET', status: 200 },
  Login: { method: 'PUT', status: 307 },
  Logout: { method: 'PUT', status: 307 },
  Settings: { method: 'GET', status: 200 },
  'Save Settings': { method: 'PUT', status: 307 },
  Upgrade: { method: 'GET', status: 200 },
  'Submit Upgrade': { method: 'PUT', status: 307 },
  Downgrade: { method: 'GET', status: 200 },
  'Submit Downgrade': { method: 'PUT', status: 307 },
  About: { method: 'GET', status: 200 },
  Help: { method: 'GET', status: 200 },
  Error: { method: 'GET', status: 404 },
  'Add to Playlist': { method: 'PUT', status: 200 },
  'Add Friend': { method: 'PUT', status: 307 },
  'Thumbs Up': { method: 'PUT', status: 307 },
  'Thumbs Down': { method: 'PUT', status: 307 },
  'Roll Advert': { method: 'GET', status: 200 },
};

interface Step {
  page: Page;
  /** Whether the event itself is logged in. */
  loggedIn: boolean;
  auth: Auth;
  method: Method;
  status: Status;
}

/** Steps are shared constants carrying everything fixed about a page, so the hot loop looks nothing up. */
function step(page: Page, loggedIn: boolean): Step {
  const { method, status } = HTTP[page];
  return Object.freeze({ page, loggedIn, auth: loggedIn ? 'Logged In' : 'Logged Out', method, status });
}

const NEXT_SONG = step('NextSong', true);
const HOME_IN = step('Home', true);
const HOME_OUT = step('Home', false);
const LOGIN = step('Login', false);
const ABOUT_OUT = step('About', false);
const HELP_OUT = step('Help', false);
const SAVE_SETTINGS = step('Save Settings', true);
const SUBMIT_UPGRADE = step('Submit Upgrade', true);
const SUBMIT_DOWNGRADE = step('Submit Downgrade', true);

/** What a logged-in listener does next, by weight; NextSong first because it is picked most. */
function pageTable(level: Level): { weights: Float64Array; steps: Step[] } {
  const entries: [number, Page][] = [
    [86, 'NextSong'],
    [3.2, 'Home'],
    [2.2, 'Thumbs Up'],
    [1.1, 'Add to Playlist'],
    [0.7, 'Add Friend'],
    [0.5, 'Thumbs Down'],
    [0.6, 'Settings'],
    [0.45, 'Help'],
    [0.25, 'About'],
    [0.1, 'Error'],
    [1.1, 'Logout'],
  ];
  if (level === 'free') entries.push([2.5, 'Roll Advert'], [0.8, 'Upgrade']);
  else entries.push([0.6, 'Downgrade']);
  const total = entries.reduce((sum, [w]) => sum + w, 0);
  let acc = 0;
  const weights = new Float64Array(entries.length);
  const steps: Step[] = [];
  entries.forEach(([w, page], i) => {
    acc += w / total;
    weights[i] = acc;
    steps.push(page === 'NextSong' ? NEXT_SONG : step(page, true));
  });
  weights[weights.length - 1] = 1;
  return { weights, steps };
}

const FREE_PAGES = pageTable('free');
const PAID_PAGES = pageTable('paid');

interface ListenerState extends Listener {
  index: number;
  /** Mean idle time between sessions. */
  idleMean: number;
  /** 0 while idle. */
  sessionId: number;
  item: number;
  remaining: number;
  loggedIn: boolean;
  queue: Step[];
}

/** Users scale with the log (about 80 events each), within sensible bounds. */
export function listenerCount(events: number): number {
  return Math.min(MAX_LISTENERS, Math.max(50, Math.round(events / 80)));
}

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
  private readonly listeners: ListenerState[];
  /**
   * Min-heap of listeners by next event time, as parallel typed arrays (time, listener index): the heap is
   * touched on every event, and flat arrays keep that cheap for tens of thousands of listeners.
   */
  private readonly heapTs: Float64Array;
  private readonly heapIds: Int32Array;
  private readonly seenUsers: Uint8Array;
  private readonly seenSongs: Uint32Array;
  private emitted = 0;
  private plays = 0;
  private users = 0;
  private songs = 0;
  private sessions = 0;
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
    const seed = hashString(String(options.seed ?? DEFAULT_SEED));
    this.total = events;
    this.rng = new Rng(hash2(seed, 1));
    this.catalog = new Catalog(hash2(seed, 2), catalogSize(events));
    const people = makeListeners(new Rng(hash2(seed, 3)), listenerCount(events), start);
    const spanMs = days * DAY_MS;
    const idleScale = solveIdleScale(people, events, spanMs);
    const phase = new Rng(hash2(seed, 4));
    const firstTimes: number[] = [];
    this.listeners = people.map((person, index): ListenerState => {
      const idleMean = idleScale / person.activity;
      const cycle = MIN_IDLE_MS + idleMean + MEAN_SESSION_EVENTS * MEAN_EVENT_GAP_MS;
      // Start each listener at a random point of its idle/session cycle, so activity is steady from
      // the first hour instead of everyone logging in at once. A tiny log's cycle can be longer than
      // the whole span (fewer sessions than listeners); it still has to start within the span.
      firstTimes.push(start + Math.floor(phase.next() * Math.min(cycle, spanMs)));
      return {
        userId: person.userId,
        firstName: person.firstName,
        lastName: person.lastName,
        gender: person.gender,
        level: person.level,
        location: person.location,
        registration: person.registration,
        activity: person.activity,
        index,
        idleMean,
        sessionId: 0,
        item: 0,
        remaining: 0,
        loggedIn: false,
        queue: [],
      };
    });
    const order = firstTimes.map((ts, id) => ({ ts, id })).sort((a, b) => a.ts - b.ts || a.id - b.id);
    // A sorted array is a valid heap.
    this.heapTs = Float64Array.from(order, (o) => o.ts);
    this.heapIds = Int32Array.from(order, (o) => o.id);
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
      sessions: this.sessions,
      songs: this.songs,
      firstTs: this.firstTs < 0 ? null : this.firstTs,
      lastTs: this.lastTs < 0 ? null : this.lastTs,
    };
  }

  next(): GeneratedEvent {
    if (this.emitted >= this.total) throw new Error('all events have been generated');
    const user = this.listeners[this.heapIds[0] ?? 0];
    if (user === undefined) throw new Error('no listeners');
    const rng = this.rng;
    const ts = this.heapTs[0] ?? 0;
    if (user.sessionId === 0) this.startSession(user);
    const { page, loggedIn, auth, method, status } = this.chooseStep(user);
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
      // Most songs play to the end; some are skipped part-way.
      const ms = played.length * 1000;
      gap = Math.round(rng.chance(0.88) ? ms : ms * (0.05 + 0.95 * rng.next()));
    } else {
      gap = 1000 + Math.round(rng.exponential(NON_PLAY_GAP_MS));
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
    this.afterStep(user, page);
    user.item++;
    user.remaining--;
    let nextTs = ts + gap;
    if (user.remaining <= 0 || (!user.loggedIn && user.queue.length === 0)) {
      user.sessionId = 0;
      user.queue.length = 0;
      nextTs = ts + gap + MIN_IDLE_MS + Math.round(rng.exponential(user.idleMean));
    }
    this.replaceTop(nextTs, user.index);
    this.emitted++;
    if (this.firstTs < 0) this.firstTs = ts;
    this.lastTs = ts;
    return event;
  }

  private startSession(user: ListenerState): void {
    const rng = this.rng;
    this.sessions++;
    user.sessionId = this.sessions;
    user.item = 0;
    user.remaining = sessionLength(rng);
    user.queue.length = 0;
    user.loggedIn = true;
    // A few sessions begin logged out: browsing the front page, then logging in (as in the real logs).
    if (rng.chance(0.1)) {
      user.loggedIn = false;
      if (rng.chance(0.6)) {
        user.queue.push(HOME_OUT);
        if (rng.chance(0.2)) user.queue.push(rng.chance(0.6) ? ABOUT_OUT : HELP_OUT);
      }
      user.queue.push(LOGIN, HOME_IN);
    }
  }

  private chooseStep(user: ListenerState): Step {
    const queued = user.queue.shift();
    if (queued !== undefined) return queued;
    if (!user.loggedIn) return LOGIN;
    if (user.item === 0) return this.rng.chance(0.45) ? HOME_IN : NEXT_SONG;
    const { weights, steps } = user.level === 'free' ? FREE_PAGES : PAID_PAGES;
    const u = this.rng.next();
    for (let i = 0; i < weights.length; i++) {
      if (u < (weights[i] ?? 1)) return steps[i] ?? NEXT_SONG;
    }
    return NEXT_SONG;
  }

  /** Follow-ups that the real logs show after certain pages. */
  private afterStep(user: ListenerState, page: Page): void {
    const rng = this.rng;
    switch (page) {
      case 'Logout':
        user.loggedIn = false;
        user.queue.push(HOME_OUT);
        if (rng.chance(0.1)) user.queue.push(rng.chance(0.6) ? ABOUT_OUT : HELP_OUT);
        if (rng.chance(0.5)) user.queue.push(LOGIN, HOME_IN);
        break;
      case 'Login':
        user.loggedIn = true;
        break;
      case 'Settings':
        if (rng.chance(0.25)) user.queue.push(SAVE_SETTINGS);
        break;
      case 'Upgrade':
        if (rng.chance(0.3)) user.queue.push(SUBMIT_UPGRADE);
        break;
      case 'Downgrade':
        if (rng.chance(0.15)) user.queue.push(SUBMIT_DOWNGRADE);
        break;
      case 'Submit Upgrade':
        user.level = 'paid';
        break;
      case 'Submit Downgrade':
        user.level = 'free';
        break;
      default:
        break;
    }
  }

  /**
   * Gives the top listener its new time. Bottom-up: the new time is usually far from the top (a song
   * or an idle spell later), so walking the smaller children to a leaf and climbing back a step or two
   * costs about half the comparisons of a classic sift-down.
   */
  private replaceTop(ts: number, id: number): void {
    const keys = this.heapTs;
    const ids = this.heapIds;
    const n = keys.length;
    let i = 0;
    for (let child = 1; child < n; child = 2 * i + 1) {
      const right = child + 1;
      if (right < n && before(keys, ids, right, child)) child = right;
      keys[i] = keys[child] as number;
      ids[i] = ids[child] as number;
      i = child;
    }
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const parentTs = keys[parent] as number;
      if (parentTs < ts || (parentTs === ts && (ids[parent] as number) < id)) break;
      keys[i] = parentTs;
      ids[i] = ids[parent] as number;
      i = parent;
    }
    keys[i] = ts;
    ids[i] = id;
  }
}

// Typed-array reads here are in bounds by construction; `as number` drops the undefined that
// noUncheckedIndexedAccess adds, without a check on the hottest path.
function before(keys: Float64Array, ids: Int32Array, a: number, b: number): boolean {
  const ka = keys[a] as number;
  const kb = keys[b] as number;
  return ka < kb || (ka === kb && (ids[a] as number) < (ids[b] as number));
}

/** Mostly 1–100 events (median about 9), and now and then a marathon of several hundred. */
function sessionLength(rng: Rng): number {
  if (rng.chance(0.03)) return 150 + rng.int(451);
  return Math.min(100, Math.max(1, Math.round(Math.exp(2.2 + rng.normal()))));
}

/**
 * The idle-time scale G that spreads `events` over `spanMs`: listener i runs a session every
 * MIN_IDLE + G/activity_i + session time on average, and the listeners' event rates must add up to
 * events/span. The total rate falls as G grows, so bisection finds it; if even G = 0 is too slow the
 * listeners are as busy as they get and the log simply ends sooner.
 */
function solveIdleScale(people: Listener[], events: number, spanMs: number): number {
  const sessionMs = MEAN_SESSION_EVENTS * MEAN_EVENT_GAP_MS;
  const target = events / spanMs;
  const rate = (g: number): number => {
    let sum = 0;
    for (const p of people) sum += MEAN_SESSION_EVENTS / (MIN_IDLE_MS + g / p.activity + sessionMs);
    return sum;
  };
  if (rate(0) <= target) return 0;
  let lo = 0;
  let hi = spanMs;
  while (rate(hi) > target) hi *= 2;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (rate(mid) > target) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** All events as a generator; convenient for tests. Writers use EventGenerator directly for its stats. */
export function* generateEvents(options: GenerateOptions): Generator<GeneratedEvent, GenerationStats> {
  const generator = new EventGenerator(options);
  while (!generator.done) yield generator.next();
  return generator.stats();
}
