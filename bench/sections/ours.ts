// ours: the bundled ingest handler, in its own process, invoked with the SQS message of the event
// log's object in LocalStack (after the warm-up object), on an empty keyspace each run.
import type { BenchContext, RunCost } from '../context';
import { perSec, spread } from '../stats';

export interface OursRun {
  report: { status: string; rowsWritten: number; rowsRead: number };
  wallMs: number;
  cpuMs: number;
  maxRssKb: number;
}

export async function ours(ctx: BenchContext): Promise<void> {
  const { args, data } = ctx;
  const runs: RunCost[] = [];
  const eventsPerSec: number[] = [];
  for (let i = 0; i < args.repeats; i++) {
    await ctx.reset();
    ctx.log(`ours: run ${i + 1}/${args.repeats} (the bundled ingest handler, object in LocalStack)`);
    const r = await ctx.measure(() =>
      ctx.runNode<OursRun>(ctx.bundles['runner-ours'], [ctx.bucket, ctx.keys.events, ctx.keys.warmup]),
    );
    if (r.report.status !== 'completed' || r.report.rowsWritten !== data.plays) {
      throw new Error(`ours did not complete: ${JSON.stringify(r.report)}`);
    }
    runs.push(r);
    eventsPerSec.push(perSec(r.report.rowsRead, r.wallMs));
  }
  ctx.contender('ours', 'ingest handler: LocalStack object → parse → validate → 3 tables', runs, data.plays, {
    settings: { concurrency: ctx.cfg.ingest.concurrency, batching: 'partition key, ≤30 statements' },
    notes: `events/s (all events read, incl. non-plays): ${spread(eventsPerSec).median.toFixed(0)}`,
  });
}
