// cqlsh COPY FROM of each table's CSV, one table after the other, with its settings tuned first on
// a 200,000-row sample of one table: a grid over processes and batch size, then the chunk size at
// the best of them. Its own retries after write timeouts are part of its time, and are reported.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { playTables } from '../../lib/cassandra/model';
import type { BenchContext, RunCost } from '../context';
import { type CopySettings, CQLSH_VERSION, copyFrom, ensureCqlsh } from '../peers/cqlsh';
import { perSec } from '../stats';

const SAMPLE_ROWS = 200_000;

/** The first table's CSV cut to at most SAMPLE_ROWS rows, for the tuning. */
function tuningSample(ctx: BenchContext): { table: (typeof playTables)[number]; file: string; rows: number } {
  const table = playTables[0];
  const file = join(ctx.data.dir, 'sample-q1.csv');
  const lines = readFileSync(ctx.data.tableCsv[table.name] as string, 'utf8')
    .trimEnd()
    .split('\n');
  const rows = Math.min(SAMPLE_ROWS, lines.length - 1);
  writeFileSync(file, `${lines.slice(0, rows + 1).join('\n')}\n`);
  return { table, file, rows };
}

/** The settings under which the sample loads fastest. */
async function tune(ctx: BenchContext, cqlsh: string): Promise<CopySettings> {
  const sample = tuningSample(ctx);
  const tried = new Map<string, number>();
  const trial = async (c: CopySettings): Promise<number> => {
    const id = `${c.numProcesses}/${c.chunkSize}/${c.maxBatchSize}`;
    const known = tried.get(id);
    if (known !== undefined) return known;
    await ctx.reset();
    // A setting under which cqlsh gives rows up is out of the running, not the end of the bench.
    const ms = await copyFrom(
      cqlsh,
      ctx.peer,
      sample.table.name,
      sample.table.columns.map((col) => col.name),
      sample.file,
      sample.rows,
      c,
    ).then(
      (r) => r.ms,
      (err: unknown) => {
        ctx.log(`cqlsh tuning: ${id} failed: ${(err as Error).message.split('\n')[0]}`);
        return Number.POSITIVE_INFINITY;
      },
    );
    tried.set(id, ms);
    ctx.log(
      `cqlsh tuning: NUMPROCESSES=${c.numProcesses} CHUNKSIZE=${c.chunkSize} MAXBATCHSIZE=${c.maxBatchSize} → ${Math.round(perSec(sample.rows, ms)).toLocaleString()} rows/s`,
    );
    return ms;
  };
  let best: CopySettings = { numProcesses: 1, chunkSize: 5000, maxBatchSize: 20 };
  let bestMs = Number.POSITIVE_INFINITY;
  const consider = async (c: CopySettings) => {
    const ms = await trial(c);
    if (ms < bestMs) [best, bestMs] = [c, ms];
  };
  for (const numProcesses of [1, 2, 3, 4])
    for (const maxBatchSize of [20, 50, 100]) await consider({ numProcesses, chunkSize: 5000, maxBatchSize });
  for (const chunkSize of [1000, 20_000]) await consider({ ...best, chunkSize });
  return best;
}

export async function cqlshCopy(ctx: BenchContext): Promise<void> {
  const { args, data } = ctx;
  const cqlsh = await ensureCqlsh(ctx.stack, ctx.log);
  const best = await tune(ctx, cqlsh);
  const runs: RunCost[] = [];
  let retried = 0;
  for (let i = 0; i < args.repeats; i++) {
    await ctx.reset();
    ctx.log(`cqlsh COPY FROM: run ${i + 1}/${args.repeats}`);
    const run = await ctx.measure(async () => {
      const total = { wallMs: 0, cpuMs: 0 };
      for (const t of playTables) {
        const r = await copyFrom(
          cqlsh,
          ctx.peer,
          t.name,
          t.columns.map((c) => c.name),
          data.tableCsv[t.name] as string,
          data.plays,
          best,
        );
        total.wallMs += r.ms;
        total.cpuMs += r.cpuMs;
        retried += r.retried;
      }
      return total;
    });
    runs.push(run);
  }
  ctx.contender('cqlsh COPY', `cqlsh ${CQLSH_VERSION} COPY FROM of each table's CSV`, runs, data.plays, {
    settings: {
      NUMPROCESSES: best.numProcesses,
      CHUNKSIZE: best.chunkSize,
      MAXBATCHSIZE: best.maxBatchSize,
      INGESTRATE: 'unlimited',
    },
    notes: `batches cqlsh retried after a write timeout (all runs): ${retried}`,
  });
}
