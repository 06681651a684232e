// The simulator's heart: one seeded random source, a virtual clock, and a queue of timers. Every
// call the real code makes into a simulated service is a timer: it lands after a latency the seed
// chooses (so concurrent calls reorder), and then succeeds, fails before it applied, applies and
// loses its answer, or kills the invocation that made it (before or after it applied). A killed
// invocation's calls never answer and its sleeps never end: it is a process that died at that
// await. Between timers the real code runs until it waits again, on nothing but our timers (no
// wall clock, no real I/O), so one seed is one run, exactly, every time.
import zlib from 'node:zlib';
import type { Clock } from '../../lib/clock';
import { Rng as GeneratorRng } from '../../scripts/generate/random';

/** The generator's seeded random numbers (sfc32), and whole numbers in a closed range. */
export class Rng extends GeneratorRng {
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
}

/** A process in the simulation: an ingest or sweep invocation. Its clock may be skewed. */
export class Invocation {
  dead = false;
  ended = false;
  readonly clock: Clock;

  constructor(
    readonly sim: Scheduler,
    readonly name: string,
    readonly skewMs: number,
  ) {
    this.clock = { now: () => sim.now + skewMs, sleep: (ms) => sim.sleep(this, ms) };
  }
}

/** How a call ends. */
export type Fate = 'ok' | 'fail' | 'lost' | 'crash-before' | 'crash-after';

export interface CallFaults {
  /** Probability that a call fails before it applied. */
  fail: number;
  /** Probability that a call applies and its answer is lost (a timeout after the fact). */
  lost: number;
  /** Probability that the invocation dies at this call (half before it applied, half after). */
  crash: number;
  /** Latency range in ms. */
  latency: [number, number];
  /** Windows of time in which every call fails (an outage of the service). */
  outages: [number, number][];
}

interface Timer {
  at: number;
  seq: number;
  fire: () => void;
}

export class Scheduler {
  now: number;
  readonly rng: Rng;
  readonly trace: string[] | undefined;
  private readonly heap: Timer[] = [];
  private seq = 0;
  steps = 0;
  /** Called when an invocation dies. */
  onDeath: (inv: Invocation) => void = () => undefined;

  constructor(seed: number, start: number, trace: boolean) {
    this.rng = new Rng(seed);
    this.now = start;
    this.trace = trace ? [] : undefined;
  }

  log(line: string): void {
    this.trace?.push(`${((this.now - START) / 1000).toFixed(3).padStart(10)}s ${line}`);
  }

  at(at: number, fire: () => void): void {
    const t = { at: Math.max(at, this.now), seq: this.seq++, fire };
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (earlier(h[p] as Timer, t)) break;
      h[i] = h[p] as Timer;
      i = p;
    }
    h[i] = t;
  }

  private pop(): Timer | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    // Sift the last timer down from the root.
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      let least = last;
      if (l < h.length && earlier(h[l] as Timer, least)) {
        m = l;
        least = h[l] as Timer;
      }
      if (r < h.length && earlier(h[r] as Timer, least)) {
        m = r;
        least = h[r] as Timer;
      }
      if (m === i) break;
      h[i] = h[m] as Timer;
      i = m;
    }
    h[i] = last;
    return top;
  }

  get pending(): number {
    return this.heap.length;
  }

  kill(inv: Invocation, why: string): void {
    if (inv.dead || inv.ended) return;
    inv.dead = true;
    this.log(`${inv.name} DIES ${why}`);
    this.onDeath(inv);
  }

  sleep(inv: Invocation, ms: number): Promise<void> {
    if (inv.dead) return new Promise(() => undefined);
    return new Promise((resolve) => this.at(this.now + ms, () => (inv.dead ? undefined : resolve())));
  }

  /**
   * A call into a simulated service: `effect` applies when the call lands (its linearization
   * point), `failure` is what a failed call throws.
   */
  call<T>(
    inv: Invocation,
    what: string,
    faults: CallFaults,
    effect: () => T,
    failure: () => unknown,
  ): Promise<Awaited<T>> {
    // A process that died, or ended (a body it left unread), calls nothing any more.
    if (inv.dead || inv.ended) return new Promise(() => undefined);
    const [lo, hi] = faults.latency;
    const latency = this.rng.between(lo, hi);
    return new Promise<Awaited<T>>((resolve, reject) => {
      this.at(this.now + latency, () => {
        if (inv.dead || inv.ended) return;
        const fate = this.fate(faults);
        this.log(`${inv.name} ${what}: ${fate}`);
        if (fate === 'crash-before') return this.kill(inv, `before ${what}`);
        if (fate === 'fail') return reject(failure());
        let result: T;
        try {
          result = effect();
        } catch (err: unknown) {
          return reject(err);
        }
        if (fate === 'crash-after') return this.kill(inv, `after ${what}`);
        if (fate === 'lost') return reject(failure());
        // An effect may answer with a promise (the in-memory ledger's): it is settled already.
        Promise.resolve(result).then(resolve as (v: Awaited<T>) => void, reject);
      });
    });
  }

  private fate(f: CallFaults): Fate {
    if (f.outages.some(([from, to]) => this.now >= from && this.now < to)) return 'fail';
    const r = this.rng.next();
    if (r < f.crash) return r < f.crash / 2 ? 'crash-before' : 'crash-after';
    if (r < f.crash + f.fail) return 'fail';
    if (r < f.crash + f.fail + f.lost) return 'lost';
    return 'ok';
  }

  /**
   * Runs timers until none is left, `stop` says so, or the limits are reached; between two timers
   * the real code runs until everything it does waits on a timer again.
   */
  async run(stop: () => boolean, limits: { until: number; steps: number }): Promise<'quiet' | 'limit'> {
    for (;;) {
      await settle();
      if (stop()) return 'quiet';
      const t = this.pop();
      if (!t) return 'quiet';
      if (t.at > limits.until || ++this.steps > limits.steps) return 'limit';
      this.now = t.at;
      t.fire();
    }
  }
}

export const START = Date.parse('2026-03-01T00:00:00Z');

function earlier(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/**
 * Lets the promises and nextTicks the code queued run out: one turn of the event loop. Work the
 * code defers further (an immediate of its own) runs at the next turn, between two timers: still
 * the same order for the same seed.
 */
/**
 * Inflating gzip is the one real asynchrony in the code under test: zlib runs each chunk on libuv's
 * thread pool and answers when it is done, in wall-clock time. Counted here, so that a step waits
 * for it, and a seed with gzip objects runs the same way every time.
 */
let inflating = 0;
const gunzip = zlib.Gunzip.prototype as unknown as {
  _transform(chunk: Buffer, encoding: string, done: (...args: unknown[]) => void): void;
};
const transform = gunzip._transform;
gunzip._transform = function (this: unknown, chunk, encoding, done) {
  inflating++;
  transform.call(this, chunk, encoding, (...args: unknown[]) => {
    inflating--;
    done(...args);
  });
};

/** Runs what the last step set going, until it waits on the simulation again (and zlib is done). */
async function settle(): Promise<void> {
  do await new Promise((resolve) => setImmediate(resolve));
  while (inflating > 0);
}
