// Objects of any size: a CSV of at least --parts-gb GiB and a gzip JSON-lines object of at least as
// much uncompressed, each ingested three ways, on an empty keyspace each time:
// - whole: the bundled handler without a deadline, in one invocation (the uninterrupted ingest parts
//   are held against);
// - parts: the same handler in the same kind of process, in 60 s invocations (INGEST_DEADLINE_MS,
//   --part-seconds), each ending at a checkpoint, its continuation received from a queue of its own
//   and passed to the next invocation (bench/runners/parts.ts): what parts cost, and the handler's own
//   peak RSS per part, as Lambda measures it per invocation;
// - parts through the event flow: the same 60 s parts under serverless offline, the continuation
//   going through SQS to the forwarder, which invokes the next, as in local emulation (its RSS is
//   offline's process, with the framework and the API in it; its runner differs from whole's).
// For each: parts, rows, total time and its overhead over whole, each part's duration and the gap
// before it, and peak RSS per part. Only run when named (`--only parts`): it reads and writes several
// GiB.
import { createReadStream, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { IngestReport } from '../../lib/ingest/report';
import { partDeadlines } from '../../lib/ingest/service';
import { writeEventFiles } from '../../scripts/generate/index';
import { waitForReport } from '../../scripts/local/flow';
import { putFiles, type Uploaded } from '../../scripts/local/put-files';
import { outDir } from '../build';
import type { BenchContext } from '../context';
import type { PartsResult, PartsRun } from '../report';
import type { PartsRunnerResult } from '../runners/parts';
import { round } from '../stats';
import { benchFlow } from './flow';

/** Bytes a generated event takes, measured on the generator's output. */
const BYTES_PER_EVENT = { csv: 157, jsonl: 325 } as const;
/** A whole run of several GiB must end; the flow's parts are waited for this long at most. */
const RUN_TIMEOUT_MS = 3 * 3_600_000;

interface BigLog {
  label: string;
  file: string;
  key: string;
  events: number;
  /** Its size as read: decompressed, for gzip. */
  bytes: number;
}

async function gunzippedBytes(file: string): Promise<number> {
  let n = 0;
  for await (const chunk of createReadStream(file).pipe(createGunzip())) n += (chunk as Buffer).length;
  return n;
}

async function bigLogs(ctx: BenchContext): Promise<BigLog[]> {
  const logs: BigLog[] = [];
  for (const format of ['csv', 'jsonl'] as const) {
    const events = Math.ceil((ctx.args.partsGb * 1024 ** 3) / BYTES_PER_EVENT[format]);
    const dir = join(outDir, `parts-${format}-${events}`);
    const ready = join(dir, 'ready.json');
    let made: { file: string; bytes: number };
    try {
      made = JSON.parse(readFileSync(ready, 'utf8')) as typeof made;
    } catch {
      const gzip = format === 'jsonl';
      ctx.log(`parts: generating ${events.toLocaleString()} events as ${format}${gzip ? ' (gzip)' : ''}`);
      const summary = await writeEventFiles({ outDir: dir, events, seed: `parts-${format}`, format, gzip });
      const file = summary.files[0]?.path ?? '';
      made = { file, bytes: gzip ? await gunzippedBytes(file) : statSync(file).size };
      writeFileSync(ready, JSON.stringify(made));
    }
    ctx.log(`parts: uploading ${made.file} (${(made.bytes / 1024 ** 3).toFixed(2)} GiB as read)`);
    logs.push({
      label: format === 'csv' ? 'CSV' : 'JSON lines, gzip',
      file: made.file,
      key: await ctx.upload(made.file, 'bench/parts/'),
      events,
      bytes: made.bytes,
    });
  }
  return logs;
}

/** VmRSS of a process, in MiB (0 once it is gone). */
function rssMb(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** The per-part reports the ingest logged (one JSON log line per part), for one object. */
function loggedParts(logFile: string, key: string): IngestReport[] {
  const parts: IngestReport[] = [];
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    const at = line.indexOf('{');
    if (at < 0 || !line.includes('"report"') || !line.includes(key)) continue;
    try {
      const report = (JSON.parse(line.slice(at)) as { report?: IngestReport }).report;
      if (report?.part && (report.status === 'in_progress' || report.status === 'completed'))
        parts.push(report);
    } catch {
      // not a log object
    }
  }
  return parts.sort((a, b) => (a.part?.number ?? 0) - (b.part?.number ?? 0));
}

/**
 * When a part stops reading, measured from its start: the function's 900 s capped by
 * INGEST_DEADLINE_MS, less the margin, as the ingest computes it.
 */
function stopReadingAfter(ctx: BenchContext): number {
  return (
    partDeadlines({ ...ctx.cfg.ingest, deadlineMs: ctx.args.partSeconds * 1000 }, { startedAt: 0 })
      .stopReadingAt ?? 0
  );
}

async function viaFlow(ctx: BenchContext, log: BigLog): Promise<PartsRun> {
  const running = await benchFlow(ctx, 'bench-parts', {
    concurrency: 1,
    ingestEnv: { INGEST_DEADLINE_MS: String(ctx.args.partSeconds * 1000), LOG_LEVEL: 'info' },
  });
  const names = running.flow;
  const samples: { at: number; mb: number }[] = [];
  const sampler = setInterval(() => samples.push({ at: Date.now(), mb: rssMb(running.offline.pid) }), 1000);
  try {
    const started = Date.now();
    const [{ key }] = (await putFiles(running.s3, [log.file], {
      bucket: names.bucket,
      prefix: `parts/${started}/`,
    })) as [Uploaded];
    const uploadedMs = Date.now() - started;
    const report = await waitForReport(
      running.s3,
      names.outputs,
      key,
      // A transient failure is retried from the checkpoint, as deployed: its time counts, it does not end the run.
      (r) => r.status === 'completed' || (r.status === 'failed' && r.failure !== 'transient'),
      RUN_TIMEOUT_MS,
    );
    if (report.status !== 'completed') throw new Error(`parts through the flow: ${JSON.stringify(report)}`);
    const parts = loggedParts(running.offline.logFile, key);
    const stopAt = stopReadingAfter(ctx);
    return {
      way: `parts through the event flow (${ctx.args.partSeconds} s)`,
      parts: report.parts,
      rowsWritten: report.rowsWritten,
      // From the end of the upload to the last part's report: what parts and the queue add.
      totalMs: Date.parse(report.finishedAt ?? '') - started - uploadedMs,
      partMs: parts.map((p) => p.part?.durationMs ?? 0),
      stopToEndMs: parts.slice(0, -1).map((p) => (p.part?.durationMs ?? 0) - stopAt),
      gapsMs: parts.slice(1).map((p, i) => {
        const prev = parts[i] as IngestReport;
        const start = Date.parse(p.finishedAt ?? '') - (p.part?.durationMs ?? 0);
        return Math.max(0, start - Date.parse(prev.finishedAt ?? ''));
      }),
      peakRssMbPerPart: parts.map((p) => {
        const end = Date.parse(p.finishedAt ?? '');
        const begin = end - (p.part?.durationMs ?? 0);
        return round(Math.max(0, ...samples.filter((s) => s.at >= begin && s.at <= end).map((s) => s.mb)), 0);
      }),
      playsPerSecPerPart: parts.map((p) =>
        round(((p.part?.rowsWritten ?? 0) * 1000) / (p.part?.durationMs || 1), 0),
      ),
      rssOf: 'serverless offline’s process (framework and API included)',
    };
  } finally {
    clearInterval(sampler);
    await running.stop();
  }
}

/** A queue for one run's messages, gone afterwards (a fresh one: no message of an earlier run). */
export async function withQueue<T>(
  ctx: BenchContext,
  name: string,
  use: (url: string, arn: string, sqs: SQSClient) => Promise<T>,
): Promise<T> {
  const sqs = new SQSClient({
    region: ctx.cfg.aws.region,
    endpoint: ctx.env.AWS_ENDPOINT_URL,
    credentials: {
      accessKeyId: ctx.env.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: ctx.env.AWS_SECRET_ACCESS_KEY ?? '',
    },
  });
  const { QueueUrl: url = '' } = await sqs.send(
    // Longer than a part: a continuation being worked on does not come back meanwhile.
    new CreateQueueCommand({
      QueueName: `tracklog-bench-${name}-${Date.now()}`,
      Attributes: { VisibilityTimeout: '960' },
    }),
  );
  try {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
    );
    return await use(url, Attributes?.QueueArn ?? '', sqs);
  } finally {
    await sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
    sqs.destroy();
  }
}

async function viaRunner(ctx: BenchContext, log: BigLog, mode: 'whole' | 'parts'): Promise<PartsRun> {
  const r = await withQueue(ctx, 'parts', (queueUrl, queueArn) => {
    // Whole has no deadline at all; parts get the flow's.
    const { INGEST_DEADLINE_MS: _none, ...env } = ctx.env;
    return ctx.runNode<PartsRunnerResult>(
      ctx.bundles['runner-parts'],
      [ctx.bucket, log.key, queueArn, mode],
      {
        env: {
          ...env,
          INGEST_QUEUE_URL: queueUrl,
          ...(mode === 'parts' ? { INGEST_DEADLINE_MS: String(ctx.args.partSeconds * 1000) } : {}),
        },
      },
    );
  });
  if (r.report.status !== 'completed') throw new Error(`${mode}: ${JSON.stringify(r.report)}`);
  const stopAt = stopReadingAfter(ctx);
  return {
    way:
      mode === 'whole'
        ? 'whole (the bundled handler, no deadline)'
        : `parts (the bundled handler, ${ctx.args.partSeconds} s, continuations through SQS)`,
    parts: r.report.parts,
    rowsWritten: r.report.rowsWritten,
    totalMs: r.totalMs,
    partMs: r.parts.map((p) => p.wallMs),
    stopToEndMs: r.parts.slice(0, -1).map((p) => p.wallMs - stopAt),
    gapsMs: r.parts.slice(1).map((p) => p.gapBeforeMs),
    peakRssMbPerPart: r.parts.map((p) => p.peakRssMb),
    playsPerSecPerPart: r.parts.map((p) => round((p.rowsWritten * 1000) / p.wallMs, 0)),
    rssOf: 'the handler’s process',
  };
}

export async function parts(ctx: BenchContext): Promise<void> {
  const results: PartsResult[] = [];
  for (const log of await bigLogs(ctx)) {
    const runs: PartsRun[] = [];
    for (const way of ['whole', 'parts', 'flow'] as const) {
      await ctx.reset();
      ctx.log(`parts: ${log.label}, ${way}`);
      const run = way === 'flow' ? await viaFlow(ctx, log) : await viaRunner(ctx, log, way);
      runs.push(run);
      ctx.log(
        `parts: ${log.label}, ${run.way}: ${run.parts} part(s), ${(run.totalMs / 1000).toFixed(0)} s, ${run.rowsWritten.toLocaleString()} plays`,
      );
    }
    const whole = runs[0] as PartsRun;
    for (const run of runs) {
      if (run.rowsWritten !== whole.rowsWritten)
        throw new Error(
          `parts: ${log.label}, ${run.way} wrote ${run.rowsWritten} plays, whole ${whole.rowsWritten}`,
        );
      run.overWhole = round(run.totalMs / whole.totalMs - 1, 3);
    }
    results.push({
      object: log.label,
      bytes: log.bytes,
      storedBytes: statSync(log.file).size,
      events: log.events,
      runs,
    });
  }
  ctx.results.parts = results;
}
