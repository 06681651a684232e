// The deployed shape: in AWS the ingest has CPU of its own, apart from the cluster's. Here Cassandra
// is pinned to CPU 0 (every thread of it, taskset -a) and each loader to CPU 1, and ours and the
// ceiling race again: does ours then reach the ceiling? Cassandra gets every CPU back afterwards,
// whatever happened.
import { cpus } from 'node:os';
import { runCommand } from '../../scripts/stack/proc';
import type { BenchContext, RunCost } from '../context';
import type { OursRun } from './ours';

const CASSANDRA_CPU = '0';
const LOADER_CPU = '1';

async function taskset(args: string[]): Promise<void> {
  const r = await runCommand('taskset', args);
  if (r.status !== 0) throw new Error(`taskset ${args.join(' ')} failed: ${r.output}`);
}

export async function pinned(ctx: BenchContext): Promise<void> {
  const { args, data } = ctx;
  const pid = ctx.cassandraPid;
  if (pid === undefined || cpus().length < 2) {
    ctx.log('pinned: skipped (it needs two CPUs and the local Cassandra node this stack started)');
    return;
  }
  const concurrency = ctx.cfg.ingest.concurrency;
  await taskset(['-a', '-p', '-c', CASSANDRA_CPU, String(pid)]);
  try {
    const ours: RunCost[] = [];
    const ceiling: RunCost[] = [];
    for (let i = 0; i < args.repeats; i++) {
      await ctx.reset();
      ctx.log(
        `pinned: ours, run ${i + 1}/${args.repeats} (Cassandra on CPU ${CASSANDRA_CPU}, the loader on CPU ${LOADER_CPU})`,
      );
      const r = await ctx.measure(() =>
        ctx.runNode<OursRun>(ctx.bundles['runner-ours'], [ctx.bucket, ctx.keys.events, ctx.keys.warmup], {
          cpus: LOADER_CPU,
        }),
      );
      if (r.report.status !== 'completed' || r.report.rowsWritten !== data.plays)
        throw new Error(`pinned: ours did not complete: ${JSON.stringify(r.report)}`);
      ours.push(r);
      await ctx.reset();
      ctx.log(`pinned: the ceiling, run ${i + 1}/${args.repeats}`);
      ceiling.push(
        await ctx.measure(() =>
          ctx.runNode<RunCost>(
            ctx.bundles['runner-ceiling'],
            [data.playsFile, String(concurrency), '0', 'batched'],
            { cpus: LOADER_CPU },
          ),
        ),
      );
    }
    const how = `Cassandra on CPU ${CASSANDRA_CPU}, the loader on CPU ${LOADER_CPU} (taskset)`;
    ctx.contender('ours, pinned', `ours as above; ${how}`, ours, data.plays, { settings: { concurrency } });
    ctx.contender('ceiling, pinned', `the ceiling, batched; ${how}`, ceiling, data.plays, {
      settings: { mode: 'batched', concurrency },
    });
  } finally {
    await taskset(['-a', '-p', '-c', `0-${cpus().length - 1}`, String(pid)]);
  }
}
