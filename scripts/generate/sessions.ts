// Listeners over time: who produces the next event and when. Listeners alternate between idle time and
// sessions; a heap keyed by each listener's next event time interleaves them, so timestamps never go back
// and a day's worth of events looks like a day of the real logs. Which pages a session visits is the page
// model's (pages.ts); events.ts turns each visit into an event record.
import { SESSION_ID_BASE } from './ids';
import { type BrowsingState, openSession } from './pages';
import type { Listener } from './people';
import type { Rng } from './random';

const MIN_IDLE_MS = 5 * 60_000;
const NON_PLAY_GAP_MS = 20_000;
/** Listener state is the one thing held per user, so the pool is capped; 20k keep 10M-event logs lean. */
const MAX_LISTENERS = 20_000;

// Measured from this generator (see the unit tests' span check): events per session and mean ms between
// consecutive events of a session. They set the idle time that spreads N events over the requested days.
const MEAN_SESSION_EVENTS = 17.5;
const MEAN_EVENT_GAP_MS = 197_000;

/** A listener's profile plus where it is: idle, or at some point of a session. */
export interface ListenerState extends Listener, BrowsingState {
  /** Position in the listener pool; the heap holds these. */
  index: number;
  /** Mean idle time between sessions. */
  idleMean: number;
  /** 0 while idle. */
  sessionId: number;
  /** Events left in the current session. */
  remaining: number;
}

/** Users scale with the log (about 80 events each), within sensible bounds. */
export function listenerCount(events: number): number {
  return Math.min(MAX_LISTENERS, Math.max(50, Math.round(events / 80)));
}

/** Time until the next event after a play: most songs play to the end; some are skipped part-way. */
export function listeningMs(songSeconds: number, rng: Rng): number {
  const ms = songSeconds * 1000;
  return Math.round(rng.chance(0.88) ? ms : ms * (0.05 + 0.95 * rng.next()));
}

/** Time until the next event after any other page. */
export function browsingMs(rng: Rng): number {
  return 1000 + Math.round(rng.exponential(NON_PLAY_GAP_MS));
}

/**
 * The listener pool and the order in which listeners act. Memory is flat: one state per listener and the
 * heap over them.
 */
export class ListenerSchedule {
  /** Sessions started so far; session ids are SESSION_ID_BASE + 1, + 2, … in order of their first event. */
  sessions = 0;
  private readonly listeners: ListenerState[];
  /**
   * Min-heap of listeners by next event time, as parallel typed arrays (time, listener index): the heap is
   * touched on every event, and flat arrays keep that cheap for tens of thousands of listeners.
   */
  private readonly heapTs: Float64Array;
  private readonly heapIds: Int32Array;

  /** `phase` places each listener in its idle/session cycle; the listeners spread `events` over `spanMs`. */
  constructor(people: Listener[], events: number, start: number, spanMs: number, phase: Rng) {
    const idleScale = solveIdleScale(people, events, spanMs);
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
  }

  /** The listener whose event comes next. */
  nextListener(): ListenerState {
    const user = this.listeners[this.heapIds[0] ?? 0];
    if (user === undefined) throw new Error('no listeners');
    return user;
  }

  /** The time of that event. */
  nextTs(): number {
    return this.heapTs[0] ?? 0;
  }

  /** Called for an idle listener's next event: it opens a new session. */
  startSession(user: ListenerState, rng: Rng): void {
    this.sessions++;
    user.sessionId = SESSION_ID_BASE + this.sessions;
    user.item = 0;
    user.remaining = sessionLength(rng);
    openSession(user, rng);
  }

  /**
   * Moves the next listener past its event at `ts`: its next event comes `gap` ms later, or after an idle
   * spell when the session is over (its length is used up, or it logged out and has nothing queued).
   */
  finishEvent(user: ListenerState, ts: number, gap: number, rng: Rng): void {
    user.item++;
    user.remaining--;
    let nextTs = ts + gap;
    if (user.remaining <= 0 || (!user.loggedIn && user.queue.length === 0)) {
      user.sessionId = 0;
      user.queue.length = 0;
      nextTs = ts + gap + MIN_IDLE_MS + Math.round(rng.exponential(user.idleMean));
    }
    this.replaceTop(nextTs, user.index);
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
