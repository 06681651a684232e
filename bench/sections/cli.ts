// The CLI a backfill runs, `npm run ingest` (scripts/ingest.ts through tsx), on the same object in
// LocalStack as ours, on an empty keyspace each run: so that a backfill's speed is known beside the
// bundled handler's. Its time is from the command's start to its exit: tsx compiling the
// TypeScript, connecting and a cold JIT included (ours is timed warm, after a warm-up object), as
// a backfill pays them; the ingest's own duration, from its report, is given beside it. Its CPU
// time is tsx's and the node process it starts, together.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IngestReport } from '../../lib/ingest/report';
import { repo } from '../build';
import type { BenchContext, RunCost } from '../context';
import { runWithCpu } from '../cpu';
import { spread } from '../stats';

export async function cli(ctx: BenchContext): Promise<void> {
  const { args, data } = ctx;
  const runs: RunCost[] = [];
  const ingestMs: number[] = [];
  const out = await mkdtemp(join(tmpdir(), 'bench-cli-'));
  try {
    for (let i = 0; i < args.repeats; i++) {
      await ctx.reset();
      ctx.log(`CLI: run ${i + 1}/${args.repeats} (npm run ingest -- s3://${ctx.bucket}/${ctx.keys.events})`);
      let report: IngestReport | undefined;
      const run = await ctx.measure(async () => {
        const started = performance.now();
        const r = await runWithCpu(
          ctx.stack,
          join(repo, 'node_modules', '.bin', 'tsx'),
          [join(repo, 'scripts', 'ingest.ts'), `s3://${ctx.bucket}/${ctx.keys.events}`, '--out', out],
          ctx.env,
          repo,
        );
        const wallMs = performance.now() - started;
        // The report is the one JSON line of its output (stdout and stderr come together).
        const line = r.output.split('\n').find((l) => l.startsWith('{') && l.includes('"rowsWritten"'));
        report = line ? (JSON.parse(line) as IngestReport) : undefined;
        if (r.status !== 0 || report?.status !== 'completed' || report.rowsWritten !== data.plays)
          throw new Error(`the CLI did not complete (exit ${r.status}):\n${r.output.slice(-2000)}`);
        return { wallMs, cpuMs: r.cpuMs };
      });
      runs.push(run);
      ingestMs.push(report?.durationMs ?? Number.NaN);
    }
  } finally {
    await rm(out, { recursive: true, force: true });
  }
  const ingest = spread(ingestMs);
  ctx.contender(
    'CLI (npm run ingest)',
    'scripts/ingest.ts through tsx, the same object from LocalStack: start to exit, cold',
    runs,
    data.plays,
    {
      settings: { concurrency: ctx.cfg.ingest.concurrency, runner: 'tsx (esbuild transform at load)' },
      notes:
        `the ingest itself (its report's durationMs): median ${(ingest.median / 1000).toFixed(1)} s, ` +
        `${Math.round((data.plays * 1000) / ingest.median).toLocaleString()} plays/s; the rest is tsx, start-up and connecting`,
    },
  );
}
