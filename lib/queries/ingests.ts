// GET /ingests?source=s3://bucket/key → what the ingest did with each version of that object, newest
// first: read from the ingest ledger (one partition per source) and shaped by the same mappings the
// ingest's reports use (lib/ingest/report.ts), with who holds it and where it goes on as the
// lifecycle sees them (lib/ingest/lifecycle.ts), so a version here says what its report says.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { IngestTotals, LedgerEntry, LedgerStatus } from '../cassandra/model';
import type { Format } from '../events/formats';
import { notFound } from '../http';
import { ERROR_CLASSES, type ErrorClass, errorClassFrom, type FailureKind } from '../ingest/failures';
import { versionState } from '../ingest/lifecycle';
import { outcomeOf } from '../ingest/report';
import { splitOf, splitProgress } from '../ingest/splits';
import { reportLocation } from '../ingest/version-outputs';
import { queryParams, sourceParam } from './params';
import type { QueryStore } from './store';

/** One object version as the ledger holds it; absent values are null, so every version has every key. */
export interface IngestVersion extends IngestTotals {
  etag: string;
  versionId: string | null;
  status: LedgerStatus;
  format: Format | null;
  compressed: boolean | null;
  rejectsLocations: string[];
  startedAt: string;
  /** Recorded when the last part ends (completed, superseded); a failure keeps where it stopped, not when. */
  finishedAt: string | null;
  durationMs: number | null;
  /**
   * Why the last part failed (while in_progress, it is being retried; when failed, why it ended): a
   * class and its fixed message, never the error's text (lib/ingest/failures.ts, ERROR_CLASSES).
   */
  error: { class: ErrorClass; message: string } | null;
  failure: FailureKind | null;
  /** The report object, once the version has ended (completed, superseded or failed). */
  report: string | null;
  /** Where the next part starts, while parts remain (also after a failure: the retry resumes there). */
  checkpoint: { part: number; offset: number; line: number } | null;
  /** Set while a delivery holds the version's lease (works on it now): when that lease runs out. */
  leaseUntil: string | null;
  /**
   * A version split into ranges read at once: how many of them completed, of how many. While they
   * run, the counts above are theirs so far (the completed ones' and the others' finished parts).
   */
  splits: { done: number; total: number } | null;
}

export interface IngestsResponse {
  source: string;
  versions: IngestVersion[];
}

/** Where the ingest's reports are: the outputs bucket (none: the source's own) and the key prefix. */
export interface ReportsAt {
  outputBucket: string | undefined;
  reportsPrefix: string;
}

/** What the API says of a version's failure: its class and the class's message, nothing stored. */
function safeError(entry: LedgerEntry): IngestVersion['error'] {
  if (entry.error === undefined && entry.errorClass === undefined) return null;
  const cls = errorClassFrom(entry.errorClass, entry.failure) ?? 'internal_error';
  return { class: cls, message: ERROR_CLASSES[cls] };
}

export function ingestVersion(
  entry: LedgerEntry,
  now: Date,
  reports: ReportsAt,
  splitRows: readonly LedgerEntry[] = [],
): IngestVersion {
  const progress = entry.splits !== undefined ? splitProgress(entry, splitRows) : undefined;
  const outcome = outcomeOf(
    progress && entry.status === 'in_progress' ? { ...entry, ...progress.totals } : entry,
  );
  const state = versionState(entry, now.getTime());
  const ended = entry.status !== 'in_progress';
  return {
    etag: entry.etag,
    versionId: entry.versionId ?? null,
    status: entry.status,
    ...outcome,
    format: outcome.format ?? null,
    compressed: outcome.compressed ?? null,
    finishedAt: outcome.finishedAt ?? null,
    durationMs: entry.durationMs ?? null,
    error: safeError(entry),
    failure: entry.failure ?? null,
    report: (ended && reportLocation(entry.source, entry.etag, reports)) || null,
    checkpoint: state.checkpoint ?? null,
    leaseUntil: state.leaseUntil?.toISOString() ?? null,
    splits: progress ? { done: progress.done, total: progress.total } : null,
  };
}

export async function getIngests(
  store: QueryStore,
  event: APIGatewayProxyEventV2,
  reports: ReportsAt,
  now: () => Date = () => new Date(),
): Promise<IngestsResponse> {
  const source = sourceParam(queryParams(event));
  const entries = await store.ingestVersions(source);
  if (entries.length === 0) throw notFound(`no ingest of ${source} is known`);
  const at = now();
  // A split's row is part of its version's line, not a line of its own.
  const splitsOf = (etag: string) => entries.filter((e) => splitOf(e.etag)?.etag === etag);
  const versions = entries
    .filter((entry) => splitOf(entry.etag) === undefined)
    .map((entry) => ({
      startedAt: entry.startedAt.getTime(),
      version: ingestVersion(entry, at, reports, splitsOf(entry.etag)),
    }))
    // Newest first; the etag breaks a tie, so the order never depends on the partition's.
    .sort((a, b) => b.startedAt - a.startedAt || a.version.etag.localeCompare(b.version.etag))
    .map(({ version }) => version);
  return { source, versions };
}
