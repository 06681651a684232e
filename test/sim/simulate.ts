// One seed, end to end: its scenario, the world, the real code run until quiet, the invariants.
import { splitOf } from '../../lib/ingest/splits';
import { violations } from './invariants';
import { scenario } from './scenario';
import { Rng, Scheduler, START } from './scheduler';
import { World } from './world';

export interface SimResult {
  seed: number;
  violations: string[];
  /** Timers fired, virtual time it took, and how the run ended. */
  steps: number;
  virtualMs: number;
  ended: 'quiet' | 'limit';
  trace: string[] | undefined;
  /** Counts for the summary: versions, and how they ended. */
  versions: number;
  outcomes: Record<string, number>;
}

/** Virtual time a run may take before it counts as never quiet: a week. */
const UNTIL_MS = 7 * 86_400_000;
const MAX_STEPS = 200_000;

export interface SimOptions {
  trace?: boolean;
  /**
   * false: no sweep, and no message lost or delivered twice: what the code alone must do, the
   * sweep being the backstop for messages lost outside it. A version may then be left in progress
   * only when its message is in the dead-letter queue (its last delivery died).
   */
  sweep?: boolean;
}

export async function simulate(seed: number, opts: SimOptions = {}): Promise<SimResult> {
  const sim = new Scheduler(seed, START, opts.trace === true);
  // The scenario draws from its own stream, so what a run does never changes what it runs.
  const world = new World(sim, scenario(new Rng(seed ^ 0x5eed)), opts.sweep !== false);
  world.start();
  const ended = await sim.run(() => false, { until: START + UNTIL_MS, steps: MAX_STEPS });
  const found = violations(world);
  if (ended === 'limit')
    found.unshift(
      `never quiet: still busy after ${sim.steps} steps, ${((sim.now - START) / 3_600_000).toFixed(1)} h`,
    );
  const outcomes: Record<string, number> = {};
  const count = (k: string) => {
    outcomes[k] = (outcomes[k] ?? 0) + 1;
  };
  for (const row of world.ledger.rows.values()) {
    // Versions by how they ended; split rows apart, and how many versions were split.
    count(splitOf(row.etag) ? `split ${row.status}` : row.status);
    if (row.splits !== undefined) count('versions split');
  }
  return {
    seed,
    violations: found,
    steps: sim.steps,
    virtualMs: sim.now - START,
    ended,
    trace: sim.trace,
    versions: world.scenario.versions.length,
    outcomes,
  };
}
