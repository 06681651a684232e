// What became of an uploaded file, for the demo and `npm run upload -- --wait`: its ingest report
// (reports/<key>.json in the outputs bucket) once it is the outcome of this very upload, one line
// that says it, and the first rejected rows of an ingest that had some.
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { IngestReport } from '../../lib/ingest/report';
import { s3ReportKey } from '../../lib/ingest/service';

/** S3's GetObject as far as reading reports and rejects goes (an S3Client, or a fake in tests). */
export interface ObjectReader {
  send(command: GetObjectCommand): Promise<{
    Body?: { transformToString(encoding?: string): Promise<string> } | undefined;
  }>;
}

export type Outcome =
  | { kind: 'report'; source: string; report: IngestReport }
  | { kind: 'timeout'; source: string; waitedMs: number; last: IngestReport | undefined };

export interface AwaitedUpload {
  bucket: string;
  key: string;
  /** The uploaded version's ETag, without quotes. */
  etag: string;
  /** When the upload started (epoch ms): a report of the same ETag from before is an earlier upload's. */
  since: number;
}

export interface WaitOptions {
  /** Where the ingest writes its reports. */
  outputs: string;
  reportsPrefix: string;
  timeoutMs: number;
  pollMs?: number;
  /** Called once for each failed report the queue will deliver again (the wait goes on). */
  onRetry?: (report: IngestReport) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<unknown>;
}

/**
 * The report is the ingest's last word on its version, or the queue still has work to do: more
 * parts (in_progress with a checkpoint), or a failure that may pass (a transient one is delivered
 * again, up to the queue's receive limit). A failure of the input is final: its message is in the
 * dead-letter queue at once.
 */
export function isFinal(report: IngestReport): boolean {
  if (report.status === 'in_progress') return false;
  return !(report.status === 'failed' && report.failure === 'transient');
}

/** A clock of another machine (the Lambda's) may run a little behind ours. */
const CLOCK_SLACK_MS = 1000;

function isOfUpload(report: IngestReport, upload: AwaitedUpload): boolean {
  return report.etag === upload.etag && Date.parse(report.startedAt) >= upload.since - CLOCK_SLACK_MS;
}

async function readReport(s3: ObjectReader, bucket: string, key: string): Promise<IngestReport | undefined> {
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return JSON.parse((await res.Body?.transformToString('utf8')) ?? '{}') as IngestReport;
  } catch (err: unknown) {
    if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
    throw err;
  }
}

/** Polls the upload's report until it is final for this upload, or the time is up. */
export async function waitForOutcome(
  s3: ObjectReader,
  upload: AwaitedUpload,
  opts: WaitOptions,
): Promise<Outcome> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const source = `s3://${upload.bucket}/${upload.key}`;
  const started = now();
  const reportKey = s3ReportKey(opts.reportsPrefix, upload.key);
  let last: IngestReport | undefined;
  let retried: string | undefined;
  for (;;) {
    const report = await readReport(s3, opts.outputs, reportKey);
    if (report && isOfUpload(report, upload)) {
      last = report;
      if (isFinal(report)) return { kind: 'report', source, report };
      const id = `${report.finishedAt}|${report.error}`;
      if (report.status === 'failed' && retried !== id) {
        retried = id;
        opts.onRetry?.(report);
      }
    }
    const waited = now() - started;
    if (waited >= opts.timeoutMs) return { kind: 'timeout', source, waitedMs: waited, last };
    await sleep(Math.min(opts.pollMs ?? 500, opts.timeoutMs - waited));
  }
}

/** The upload did not end as it should: its ingest failed, or no final report came in time. */
export function outcomeFailed(outcome: Outcome): boolean {
  return outcome.kind === 'timeout' || outcome.report.status === 'failed';
}

const count = (n: number) => n.toLocaleString('en-US');

function rows(r: Pick<IngestReport, 'rowsRead' | 'rowsWritten' | 'rowsSkipped' | 'rowsRejected'>): string {
  return (
    `${count(r.rowsRead)} rows read, ${count(r.rowsWritten)} written, ${count(r.rowsSkipped)} skipped, ` +
    `${count(r.rowsRejected)} rejected`
  );
}

function rejectsIn(locations: readonly string[]): string {
  return locations.length > 0 ? `; rejects in ${locations.join(', ')}` : '';
}

/** One line: the source, its status, and the counts, where its rejects are, or its error. */
export function describeOutcome(outcome: Outcome): string {
  if (outcome.kind === 'timeout') {
    const last = outcome.last;
    const seen = !last
      ? 'no report of this upload yet'
      : last.status === 'failed'
        ? `last report: failed, to be delivered again: ${last.error ?? 'no message'}`
        : `last report: ${last.status}, ${last.parts} part(s) done, ${rows(last)}`;
    return `${outcome.source}: no outcome within ${Math.round(outcome.waitedMs / 1000)} s (${seen})`;
  }
  const r = outcome.report;
  switch (r.status) {
    case 'completed':
      return `${outcome.source}: completed, ${rows(r)}${rejectsIn(r.rejectsLocations)}`;
    case 'duplicate': {
      const p = r.previous;
      return p
        ? `${outcome.source}: duplicate, already ingested at ${p.finishedAt ?? p.startedAt}: ${rows(p)}${rejectsIn(p.rejectsLocations)}`
        : `${outcome.source}: duplicate, already ingested`;
    }
    case 'failed':
      return (
        `${outcome.source}: failed: ${r.error ?? 'no message'}` +
        (r.failure === 'input'
          ? ' (it can never be ingested as it is: its message is in the dead-letter queue; upload a fixed version, then npm run redrive)'
          : '')
      );
    case 'superseded':
      return `${outcome.source}: superseded, overwritten before it was done (the newer upload is ingested on its own)`;
    default:
      return `${outcome.source}: ${r.status}${r.error ? `: ${r.error}` : ''}`;
  }
}

/** The first rejected rows of a rejects object (s3://bucket/key of JSON lines), read from its start. */
export async function firstRejects(
  s3: ObjectReader,
  location: string,
  max = 3,
): Promise<{ line: number; reason: string }[]> {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(location);
  if (!match?.[1] || !match[2]) return [];
  // The head of the object is enough: rejects files can be as large as the source.
  const res = await s3.send(
    new GetObjectCommand({ Bucket: match[1], Key: match[2], Range: 'bytes=0-65535' }),
  );
  const text = (await res.Body?.transformToString('utf8')) ?? '';
  const found: { line: number; reason: string }[] = [];
  // The last line of a cut-off head may be partial: only lines ended by a newline are read.
  for (const line of text.split('\n').slice(0, -1)) {
    if (found.length >= max) break;
    try {
      const reject = JSON.parse(line) as { line?: unknown; reason?: unknown };
      if (typeof reject.line === 'number' && typeof reject.reason === 'string')
        found.push({ line: reject.line, reason: reject.reason });
    } catch {
      // not a reject line; the location is shown anyway
    }
  }
  return found;
}
