// One big object, many invocations at once (docs/splits.md): a CSV of --splits-mb MiB and a gzip
// JSON-lines object of as much text, each ingested whole and with 2, 4 and 8 splits, as many
// invocation slots at once as splits (bench/runners/splits.ts: a warm process each, receiving from a
// queue of the run's own, as Lambda's event source with that maximumConcurrency), on an empty
// keyspace each time, once with each invocation limited as a Keyspaces connection limits it
// (INGEST_MAX_WRITES_PER_SECOND, --split-limit) and once unlimited. Reported: time from the
// notification to the report, plays/s, the plan's own time and its share of the whole ingest's time,
// peak RSS per invocation, and the speed-up over whole. Only run when named (`--only splits`).
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CopyObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { IngestReport } from '../../lib/ingest/report';
import { writeEventFiles } from '../../scripts/generate/index';
import { s3Notification } from '../../scripts/local/lambda-events';
import { outDir } from '../build';
import type { BenchContext } from '../context';
import type { SplitsResult, SplitsRun } from '../report';
import type { SlotResult } from '../runners/splits';
import { storedReport } from '../runners/stored-report';
import { round } from '../stats';
import { withQueue } from './parts';

/** Bytes a generated event takes (bench/sections/parts.ts measured them). */
const BYTES_PER_EVENT = { csv: 157, jsonl: 325 } as const;
export const SPLITS_IN_FLIGHT = [1, 2, 4, 8] as const;

interface BigLog {
  label: string;
  key: string;
  events: number;
  /** Bytes as stored (compressed, for gzip): what INGEST_SPLIT_BYTES is held against. */
  storedBytes: number;
}

async function bigLogs(ctx: BenchContext): Promise<BigLog[]> {
  const logs: BigLog[] = [];
  for (const format of ['csv', 'jsonl'] as const) {
    const events = Math.ceil((ctx.args.splitsMb * 1024 ** 2) / BYTES_PER_EVENT[format]);
    const dir = join(outDir, `splits-${format}-${events}`);
    const ready = join(dir, 'ready.json');
    let file: string;
    try {
      file = (JSON.parse(readFileSync(ready, 'utf8')) as { file: string }).file;
    } catch {
      const gzip = format === 'jsonl';
      ctx.log(`splits: generating ${events.toLocaleString()} events as ${format}${gzip ? ' (gzip)' : ''}`);
      const summary = await writeEventFiles({ outDir: dir, events, seed: `splits-${format}`, format, gzip });
      file = summary.files[0]?.path ?? '';
      writeFileSync(ready, JSON.stringify({ file }));
    }
    logs.push({
      label: format === 'csv' ? 'CSV' : 'JSON lines, gzip',
      key: await ctx.upload(file, 'bench/splits/'),
      events,
      storedBytes: statSync(file).size,
    });
  }
  return logs;
}

/** One run: a copy of the object under a key of its own (a new version, nothing in the ledger). */
async function runOnce(
  ctx: BenchContext,
  log: BigLog,
  slots: number,
  limit: number | undefined,
): Promise<SplitsRun> {
  const key = `bench/splits/run-${Date.now()}/${log.key.split('/').at(-1)}`;
  await ctx.s3.send(
    new CopyObjectCommand({ Bucket: ctx.bucket, Key: key, CopySource: `${ctx.bucket}/${log.key}` }),
  );
  return withQueue(ctx, 'splits', async (queueUrl, queueArn, sqs) => {
    // Whole: splitting off. n splits: a split size that makes n of them.
    const splitBytes = slots === 1 ? 0 : Math.ceil(log.storedBytes / slots);
    const { INGEST_DEADLINE_MS: _none, ...env } = ctx.env;
    const started = Date.now();
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify(s3Notification(ctx.bucket, key)),
      }),
    );
    const results = await Promise.all(
      Array.from({ length: slots }, () =>
        ctx.runNode<SlotResult>(ctx.bundles['runner-splits'], [ctx.bucket, key, queueArn], {
          env: {
            ...env,
            INGEST_QUEUE_URL: queueUrl,
            INGEST_SPLIT_BYTES: String(splitBytes),
            ...(limit ? { INGEST_MAX_WRITES_PER_SECOND: String(limit) } : {}),
          },
        }),
      ),
    );
    const report: IngestReport = await storedReport(ctx.s3, ctx.cfg, ctx.bucket, key);
    if (report.status !== 'completed') throw new Error(`splits: ${JSON.stringify(report)}`);
    const totalMs = Date.parse(report.finishedAt ?? '') - started;
    return {
      splitsInFlight: slots,
      splits: report.splits?.total ?? 1,
      limitPerInvocation: limit ?? null,
      rowsWritten: report.rowsWritten,
      totalMs,
      playsPerSec: round((report.rowsWritten * 1000) / totalMs, 0),
      planMs: report.splits?.planMs ?? 0,
      invocations: results.reduce((n, r) => n + r.invocations, 0),
      peakRssMbPerInvocation: Math.max(...results.flatMap((r) => r.peakRssMb)),
    };
  });
}

export async function splits(ctx: BenchContext): Promise<void> {
  const results: SplitsResult[] = [];
  for (const log of await bigLogs(ctx)) {
    for (const limit of [ctx.args.splitLimit, undefined]) {
      const runs: SplitsRun[] = [];
      for (const slots of SPLITS_IN_FLIGHT) {
        await ctx.reset();
        const run = await runOnce(ctx, log, slots, limit);
        runs.push(run);
        ctx.log(
          `splits: ${log.label}, ${limit ? `${limit} writes/s per invocation` : 'unlimited'}, ${run.splits} split(s): ` +
            `${(run.totalMs / 1000).toFixed(1)} s, ${run.playsPerSec.toLocaleString()} plays/s, plan ${run.planMs} ms, ` +
            `peak RSS ${run.peakRssMbPerInvocation} MB`,
        );
      }
      const whole = runs[0] as SplitsRun;
      for (const run of runs) {
        if (run.rowsWritten !== whole.rowsWritten)
          throw new Error(
            `splits: ${log.label}, ${run.splits} splits wrote ${run.rowsWritten}, whole ${whole.rowsWritten}`,
          );
        run.speedUp = round(whole.totalMs / run.totalMs, 2);
        run.planShareOfWhole = round(run.planMs / whole.totalMs, 4);
      }
      results.push({ object: log.label, storedBytes: log.storedBytes, events: log.events, runs });
    }
  }
  ctx.results.splits = results;
}
