// Peak RSS of the ingest process (ours, bundled) as the input grows: JSON-lines logs of about the
// sizes given with --rss, each uploaded to LocalStack and ingested on an empty keyspace.
import { outDir } from '../build';
import type { BenchContext } from '../context';
import { sizedLogs } from '../data';
import { perSec, round } from '../stats';
import type { OursRun } from './ours';

export async function memory(ctx: BenchContext): Promise<void> {
  for (const m of await sizedLogs(outDir, ctx.args.rssMb, ctx.log)) {
    const key = await ctx.upload(m.file, `bench/rss-${m.mb}mb/`);
    await ctx.reset();
    ctx.log(`memory: ingesting a ${(m.bytes / 1048576).toFixed(0)} MB JSON-lines object`);
    const r = await ctx.runNode<OursRun>(ctx.bundles['runner-ours'], [ctx.bucket, key]);
    if (r.report.status !== 'completed') throw new Error(`memory run failed: ${JSON.stringify(r.report)}`);
    ctx.results.memory.push({
      inputMb: round(m.bytes / 1048576, 0),
      format: 'JSON lines',
      events: m.events,
      peakRssMb: round(r.maxRssKb / 1024, 0),
      rowsPerSec: round(perSec(r.report.rowsWritten, r.wallMs), 0),
    });
    ctx.log(`memory: peak RSS ${(r.maxRssKb / 1024).toFixed(0)} MB`);
  }
}
