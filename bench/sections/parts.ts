// Objects of any size: a CSV of at least --parts-gb GiB and a gzip JSON-lines object of at least as
// much uncompressed, each ingested two ways, on an empty keyspace each time:
// - whole: the CLI without a deadline, in one part (the uninterrupted ingest parts are held against);
// - parts through the event flow: 60 s parts (INGEST_DEADLINE_MS, --part-seconds), each ending at a
//   checkpoint and sending its continuation through SQS to the forwarder, which invokes the next, as
//   deployed.
// For each: parts, rows, total time and its overhead over whole, each part's duration and the gap
// before it (the queue and forwarder), and peak RSS (the offline process's, sampled each second,
// per part; the CLI's processes' own peak). Only run when named (`--only parts`): it reads and
// writes several GiB.
import { createReadStream, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import type { IngestReport } from '../../lib/ingest/report';
import { partDeadlines } from '../../lib/ingest/service';
import { writeEventFiles } from '../../scripts/generate/index';
import { waitForReport } from '../../scripts/local/flow';
import { putFiles, type Uploaded } from '../../scripts/local/put-files';
import { outDir, repo } from '../build';
import type { BenchContext } from '../context';
import { runWithCpu } from '../cpu';
import type { PartsResult, PartsRun } from '../report';
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
      (r) => r.status === 'completed' || r.status === 'failed',
      RUN_TIMEOUT_MS,
    );
    if (report.status !== 'completed') throw new Error(`parts through the flow: ${JSON.stringify(report)}`);
    const parts = loggedParts(running.offline.logFile, key);
    // When a part stops reading, measured from its start (offline's remaining time is the function's
    // 900 s, so the deadline is INGEST_DEADLINE_MS's, less the margin, as the ingest computes it).
    const stopAt =
      partDeadlines({ ...ctx.cfg.ingest, deadlineMs: ctx.args.partSeconds * 1000 }, { startedAt: 0 })
        .stopReadingAt ?? 0;
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
    };
  } finally {
    clearInterval(sampler);
    await running.stop();
  }
}

async function viaCli(ctx: BenchContext, log: BigLog): Promise<PartsRun> {
  const { INGEST_DEADLINE_MS: _none, ...env } = ctx.env;
  const started = performance.now();
  const r = await runWithCpu(
    ctx.stack,
    join(repo, 'node_modules', '.bin', 'tsx'),
    [
      join(repo, 'scripts', 'ingest.ts'),
      `s3://${ctx.bucket}/${log.key}`,
      '--out',
      join(outDir, 'parts-cli-out'),
    ],
    env,
    repo,
  );
  const totalMs = performance.now() - started;
  const line = r.output.split('\n').find((l) => l.startsWith('{') && l.includes('"rowsWritten"'));
  const report = line ? (JSON.parse(line) as IngestReport) : undefined;
  if (r.status !== 0 || report?.status !== 'completed')
    throw new Error(`the CLI did not complete (exit ${r.status}):\n${r.output.slice(-2000)}`);
  return {
    way: 'whole (the CLI, no deadline)',
    parts: report.parts,
    rowsWritten: report.rowsWritten,
    totalMs,
    partMs: [],
    gapsMs: [],
    stopToEndMs: [],
    peakRssMbPerPart: [],
    peakRssMb: round(r.maxRssKb / 1024, 0),
  };
}

export async function parts(ctx: BenchContext): Promise<void> {
  const results: PartsResult[] = [];
  for (const log of await bigLogs(ctx)) {
    const runs: PartsRun[] = [];
    for (const way of ['whole', 'flow'] as const) {
      await ctx.reset();
      ctx.log(`parts: ${log.label}, ${way}`);
      const run = way === 'flow' ? await viaFlow(ctx, log) : await viaCli(ctx, log);
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
