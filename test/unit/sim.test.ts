// The lifecycle simulator's bounded run in npm test: 1,500 seeds with the sweep and 500 without it
// (`npm run sim -- --seeds 100000` is the full run). A failing seed is named with the command that
// replays it, trace and all.
import { simulate } from '../sim/simulate';

async function failing(from: number, count: number, sweep: boolean): Promise<string[]> {
  const out: string[] = [];
  for (let seed = from; seed < from + count; seed++) {
    const r = await simulate(seed, { sweep });
    if (r.violations.length > 0)
      out.push(
        `seed ${seed}: ${r.violations.join('; ')} (npm run sim -- --seed ${seed}${sweep ? '' : ' --no-sweep'})`,
      );
  }
  return out;
}

describe('the lifecycle simulator', () => {
  it('finds no violation in 1,500 seeds with the sweep', async () => {
    expect(await failing(1, 1500, true)).toEqual([]);
  }, 600_000);

  it('finds no violation in 500 seeds without the sweep (nothing but lost messages needs it)', async () => {
    expect(await failing(1, 500, false)).toEqual([]);
  }, 600_000);

  // Found by 10,000 seeds without the sweep: a reopened version kept the mark of a continuation
  // from the run that ended, and the message that reopened it was let go as stale.
  it.each([4877, 7923])('keeps seed %i, once stuck in progress, clean', async (seed) => {
    expect((await simulate(seed, { sweep: false })).violations).toEqual([]);
  });

  it('runs a seed the same way every time, call for call', async () => {
    const [a, b] = [await simulate(4176, { trace: true }), await simulate(4176, { trace: true })];
    expect(a.trace?.length).toBeGreaterThan(50);
    expect(b.trace).toEqual(a.trace);
  });

  it('exercises the faults it claims to: crashes, lost answers, overwrites, dead letters, multipart rejects and the sweep', async () => {
    const seen = new Set<string>();
    for (let seed = 1; seed <= 200; seed++) {
      const r = await simulate(seed, { trace: true });
      for (const line of r.trace ?? []) {
        if (line.includes(' DIES ')) seen.add('crash');
        if (line.endsWith(': lost')) seen.add('lost answer');
        if (line.includes('(the message is lost)')) seen.add('lost message');
        if (line.includes('dead-letter: ok')) seen.add('dead-lettered');
        if (/sweep: .* resumed [1-9]/.test(line)) seen.add('resumed by the sweep');
        if (line.includes('S3 upload part')) seen.add('rejects uploaded in parts');
      }
      if ((r.outcomes.superseded ?? 0) > 0) seen.add('superseded');
    }
    expect([...seen].sort()).toEqual(
      [
        'crash',
        'dead-lettered',
        'lost answer',
        'lost message',
        'rejects uploaded in parts',
        'resumed by the sweep',
        'superseded',
      ].sort(),
    );
  }, 120_000);
});
