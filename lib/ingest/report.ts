// The outcome of one ingest: the report (logged, stored as reports/<key>.json, printed by the CLI),
// the ledger row it is recorded as, and a duplicate's `previous` (the ledger row read back). One
// definition of the shared fields, and one mapping each way between report and ledger.
import type { LedgerEntry, LedgerStatus } from '../cassandra/model';
import type { Format } from '../events/formats';

export const INGEST_STATUSES = ['completed', 'duplicate', 'failed', 'ignored'] as const;
export type IngestStatus = (typeof INGEST_STATUSES)[number];

/** What an ingest of one object version did, as the ledger keeps it. */
export interface IngestOutcome {
  format: Format | undefined;
  rowsRead: number;
  rowsWritten: number;
  rowsSkipped: number;
  rowsRejected: number;
  rejectsLocation: string | undefined;
  startedAt: string;
  finishedAt: string | undefined;
}

export interface IngestReport extends IngestOutcome {
  source: string;
  etag: string | undefined;
  versionId: string | undefined;
  status: IngestStatus;
  compressed: boolean | undefined;
  /** Plays whose writes failed after retries (only on a failed ingest). */
  rowsFailed: number;
  writeRetries: number;
  durationMs: number;
  rowsPerSec: number;
  error: string | undefined;
  /**
   * Only on a duplicate: the completed ingest it repeats. The duplicate itself reads and writes
   * nothing (all its counts are 0), so summing reports never counts a row twice.
   */
  previous: IngestOutcome | undefined;
}

/**
 * A report of `status` for an ingest that began at startedAt and ends now: every field present (so
 * every report has the same keys), counts 0 unless given.
 */
export function buildReport(
  source: string,
  status: IngestStatus,
  startedAt: Date,
  fields: Partial<Omit<IngestReport, 'source' | 'status' | 'startedAt' | 'finishedAt' | 'durationMs'>> = {},
): IngestReport {
  const finishedAt = new Date();
  const durationMs = finishedAt.getTime() - startedAt.getTime();
  const report: IngestReport = {
    source,
    etag: undefined,
    versionId: undefined,
    status,
    format: undefined,
    compressed: undefined,
    rowsRead: 0,
    rowsWritten: 0,
    rowsSkipped: 0,
    rowsRejected: 0,
    rowsFailed: 0,
    writeRetries: 0,
    rejectsLocation: undefined,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs,
    rowsPerSec: 0,
    error: undefined,
    previous: undefined,
    ...fields,
  };
  report.rowsPerSec = durationMs > 0 ? Math.round((report.rowsRead * 1000) / durationMs) : report.rowsRead;
  return report;
}

/** Report → ledger: the row that records this report; a `running` row has no end yet. */
export function ledgerEntryOf(report: IngestReport, status: LedgerStatus): LedgerEntry {
  const running = status === 'running';
  return {
    source: report.source,
    etag: report.etag ?? '',
    versionId: report.versionId,
    status,
    format: report.format,
    rowsRead: report.rowsRead,
    rowsWritten: report.rowsWritten,
    rowsSkipped: report.rowsSkipped,
    rowsRejected: report.rowsRejected,
    rejectsLocation: report.rejectsLocation,
    startedAt: new Date(report.startedAt),
    finishedAt: running || report.finishedAt === undefined ? undefined : new Date(report.finishedAt),
    durationMs: running ? undefined : report.durationMs,
    error: report.error,
  };
}

/** Ledger → report: what a recorded ingest did, as a duplicate's `previous` shows it. */
export function outcomeOf(entry: LedgerEntry): IngestOutcome {
  return {
    format: entry.format,
    rowsRead: entry.rowsRead,
    rowsWritten: entry.rowsWritten,
    rowsSkipped: entry.rowsSkipped,
    rowsRejected: entry.rowsRejected,
    rejectsLocation: entry.rejectsLocation,
    startedAt: entry.startedAt.toISOString(),
    finishedAt: entry.finishedAt?.toISOString(),
  };
}

/** A report as JSON: absent values print as null, so every report has the same keys. */
export function reportJson(report: IngestReport, indent?: number): string {
  return JSON.stringify(report, (_key, value: unknown) => (value === undefined ? null : value), indent);
}
