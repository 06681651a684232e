// The ceiling: what this node accepts through this driver, parsing aside. Both ways of writing
// pre-parsed plays (our partition-grouped batches, and one prepared INSERT per row through the
// driver's executeConcurrent) at several concurrencies, on a sample; the best is then run in full.
import type { BenchContext, RunCost } from '../context';
import { perSec, round } from '../stats';

type Mode = 'batched' | 'rows';
interface Sweep {
  mode: Mode;
  concurrency: number;
  rowsPerSec: number;
}

const SWEEP_CONCURRENCIES = [16, 32, 64, 128, 256];
const SAMPLE_PLAYS = 200_000;

export async function ceiling(ctx: BenchContext): Promise<void> {
  const { args, data } = ctx;
  const sweep: Sweep[] = [];
  const sample = Math.min(SAMPLE_PLAYS, data.plays);
  const run = (mode: Mode, c: number, limit?: number) =>
    ctx.runNode<RunCost>(ctx.bundles['runner-ceiling'], [
      data.playsFile,
      String(c),
      String(limit ?? 0),
      mode,
    ]);
  for (const mode of ['batched', 'rows'] as const) {
    for (const c of SWEEP_CONCURRENCIES) {
      await ctx.reset();
      const rate = perSec(sample, (await run(mode, c, sample)).wallMs);
      sweep.push({ mode, concurrency: c, rowsPerSec: round(rate) });
      ctx.log(`ceiling sweep: ${mode} at concurrency ${c} → ${Math.round(rate).toLocaleString()} rows/s`);
    }
  }
  const best = sweep.reduce((a, b) => (b.rowsPerSec > a.rowsPerSec ? b : a));
  const runs: RunCost[] = [];
  for (let i = 0; i < args.repeats; i++) {
    await ctx.reset();
    ctx.log(`ceiling: run ${i + 1}/${args.repeats}, ${best.mode} at concurrency ${best.concurrency}`);
    runs.push(await ctx.measure(() => run(best.mode, best.concurrency)));
  }
  const how =
    best.mode === 'batched'
      ? 'through the same partition-batching sink'
      : 'one prepared INSERT per row (executeConcurrent)';
  ctx.contender('ceiling', `pre-parsed plays, no parsing, ${how}: the best of the sweep`, runs, data.plays, {
    settings: {
      mode: best.mode,
      concurrency: best.concurrency,
      sweep: sweep.map((s) => `${s.mode}@${s.concurrency}:${Math.round(s.rowsPerSec)}`).join(' '),
    },
  });
}
