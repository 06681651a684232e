// What became of an uploaded file, for the demo and `npm run upload -- --wait`: the report of its
// version (reports/<key>/<etag>.json in the outputs bucket, written once the version has ended),
// one line that says it, and the first rejected rows of an ingest that had some.
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { IngestReport } from '../../lib/ingest/report';
import { s3ReportKey } from '../../lib/ingest/version-outputs';

/** S3's GetObject as far as reading reports and rejects goes (an S3Client, or a fake in tests). */
export interface ObjectReader {
  send(command: GetObjectCommand): Promise<{
    Body?: { transformToString(encoding?: string): Promise<string> } | undefined;
  }>;
}

export type Outcome =
  /** before: the version had ended before this upload (the same bytes uploaded again). */
  | { kind: 'report'; source: string; report: IngestReport; before: boolean }
  | { kind: 'timeout'; source: string; waitedMs: number };

export interface AwaitedUpload {
  bucket: string;
  key: string;
  /** The uploaded version's ETag, without quotes. */
  etag: string;
  /** When the upload started (epoch ms): a version that ended before is an earlier upload's of the same bytes. */
  since: number;
}

export interface WaitOptions {
  /** Where the ingest writes its reports. */
  outputs: string;
  reportsPrefix: string;
  timeoutMs: number;
  pollMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<unknown>;
}

/** A clock of another machine (the Lambda's) may run a little behind ours. */
const CLOCK_SLACK_MS = 1000;

/**
 * The version's ingest began before this upload did: the same bytes were uploaded (and ingested)
 * before, and this upload was a duplicate.
 */
export function endedBefore(report: IngestReport, upload: AwaitedUpload): boolean {
  return Date.parse(report.startedAt) < upload.since - CLOCK_SLACK_MS;
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

/** Polls for the report of the upload's version (there once it has ended), or until the time is up. */
export async function waitForOutcome(
  s3: ObjectReader,
  upload: AwaitedUpload,
  opts: WaitOptions,
): Promise<Outcome> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const source = `s3://${upload.bucket}/${upload.key}`;
  const started = now();
  const reportKey = s3ReportKey(opts.reportsPrefix, upload.key, upload.etag);
  for (;;) {
    const report = await readReport(s3, opts.outputs, reportKey);
    if (report) return { kind: 'report', source, report, before: endedBefore(report, upload) };
    const waited = now() - started;
    if (waited >= opts.timeoutMs) return { kind: 'timeout', source, waitedMs: waited };
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
    return (
      `${outcome.source}: no outcome within ${Math.round(outcome.waitedMs / 1000)} s ` +
      '(still in progress, or being retried: GET /ingests?source=… says how far it got)'
    );
  }
  const r = outcome.report;
  if (outcome.before && r.status === 'completed')
    return `${outcome.source}: duplicate, already ingested at ${r.finishedAt ?? r.startedAt}: ${rows(r)}${rejectsIn(r.rejectsLocations)}`;
  switch (r.status) {
    case 'completed':
      return `${outcome.source}: completed, ${rows(r)}${rejectsIn(r.rejectsLocations)}`;
    case 'failed':
      return (
        `${outcome.source}: failed: ${r.error ?? 'no message'}` +
        (r.failure === 'input'
          ? ' (it can never be ingested as it is: its message is in the dead-letter queue; upload a fixed version, then npm run redrive)'
          : ' (its message is in the dead-letter queue: npm run redrive once the cause is fixed)')
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
