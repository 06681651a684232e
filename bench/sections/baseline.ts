// The original notebook's loop: for each play, for each table, one awaited, unprepared INSERT.
// Measured on the first 2,000 plays; its rate does not depend on size.
import type { BenchContext, RunCost } from '../context';

const SAMPLE_PLAYS = 2000;

export async function baseline(ctx: BenchContext): Promise<void> {
  const { args, data } = ctx;
  const sample = Math.min(SAMPLE_PLAYS, data.plays);
  const runs: RunCost[] = [];
  for (let i = 0; i < args.repeats; i++) {
    await ctx.reset();
    ctx.log(
      `baseline: run ${i + 1}/${args.repeats} (${sample} plays, one awaited unprepared INSERT per row per table)`,
    );
    runs.push(
      await ctx.measure(() =>
        ctx.runNode<RunCost>(ctx.bundles['runner-baseline'], [data.playsFile, String(sample)]),
      ),
    );
  }
  ctx.contender(
    'baseline',
    "the original notebook's loop: one synchronous unprepared INSERT per row per table",
    runs,
    sample,
    {
      notes: `measured on the first ${sample} plays (${sample * 3} INSERTs); its rate does not depend on size`,
    },
  );
}
