// DSBulk load of each table's CSV, with its defaults (batching by partition key), JVM start included.
// When DSBulk cannot be had (no Maven, no JDK) or fails, the section is skipped, not the bench.
import { join } from 'node:path';
import { playTables } from '../../lib/cassandra/model';
import { outDir } from '../build';
import type { BenchContext, RunCost } from '../context';
import { DSBULK_VERSION, dsbulkLoad, ensureDsbulk } from '../peers/dsbulk';

export async function dsbulk(ctx: BenchContext): Promise<void> {
  const { args, data } = ctx;
  try {
    const loader = await ensureDsbulk(ctx.stack, ctx.log);
    const runs: RunCost[] = [];
    for (let i = 0; i < args.repeats; i++) {
      await ctx.reset();
      ctx.log(`DSBulk: run ${i + 1}/${args.repeats}`);
      const run = await ctx.measure(async () => {
        const total = { wallMs: 0, cpuMs: 0 };
        for (const t of playTables) {
          const r = await dsbulkLoad(
            loader,
            ctx.peer,
            t.name,
            data.tableCsv[t.name] as string,
            join(outDir, 'dsbulk-logs'),
          );
          total.wallMs += r.wallMs;
          total.cpuMs += r.cpuMs;
        }
        return total;
      });
      runs.push(run);
    }
    ctx.contender(
      'DSBulk',
      `DSBulk ${DSBULK_VERSION} load of each table's CSV (defaults: batches by partition key)`,
      runs,
      data.plays,
      { settings: { batchMode: 'PARTITION_KEY (default)', heap: '1g' } },
    );
  } catch (err: unknown) {
    ctx.log(`DSBulk skipped: ${(err as Error).message.split('\n')[0]}`);
  }
}
