// The outcome of one delivery of an object: the report (logged, stored as reports/<key>.json,
// printed by the CLI), the ledger row it is recorded as, and what is read back from the ledger (a
// duplicate's `previous`, the checkpoint a part resumes from). One definition of the shared
// fields, and one mapping each way between report and ledger.
import type { IngestTotals, LedgerEntry, LedgerStatus } from '../cassandra/model';
import type { ReadPosition } from '../events/event';
import type { Format } from '../events/formats';
import { type ErrorClass, errorClassOf, type FailureKind, failureKindOf, messageOf } from './failures';
import type { PlaySink } from './types';

export type { FailureKind };

/**
 * What one delivery did. completed: every part done. in_progress: parts remain (a checkpoint says
 * where the next starts), or another delivery is ingesting the object right now. duplicate: it had
 * completed before. failed: this delivery's part failed, see `failure` (a transient failure is
 * retried: the version stays in progress in the ledger until its last delivery). ignored: nothing
 * to do (the ingest's own outputs; a message whose part is done and carried on by a later
 * message). superseded: overwritten before its last part; the new version has its own notification.
 */
export const INGEST_STATUSES = [
  'completed',
  'in_progress',
  'duplicate',
  'failed',
  'ignored',
  'superseded',
] as const;
export type IngestStatus = (typeof INGEST_STATUSES)[number];

/** No part finished yet. */
export const NO_TOTALS: IngestTotals = {
  parts: 0,
  rowsRead: 0,
  rowsWritten: 0,
  rowsSkipped: 0,
  rowsRejected: 0,
  writeRetries: 0,
};

/** The totals of anything that carries them (a report, a ledger entry), and nothing else. */
function totalsOf(from: IngestTotals): IngestTotals {
  const { parts, rowsRead, rowsWritten, rowsSkipped, rowsRejected, writeRetries } = from;
  return { parts, rowsRead, rowsWritten, rowsSkipped, rowsRejected, writeRetries };
}

/** What the ingest of one object version did so far, as the ledger keeps it. */
export interface IngestOutcome extends IngestTotals {
  format: Format | undefined;
  compressed: boolean | undefined;
  /** The rejects object of every part that had rejects, in part order. */
  rejectsLocations: string[];
  startedAt: string;
  finishedAt: string | undefined;
}

/** What this delivery's own part did. */
export interface PartReport {
  number: number;
  /** Where it began reading: 0, or the checkpoint the part before it left (decompressed bytes). */
  startOffset: number;
  /** Bytes of event data it read (decompressed), up to its last whole record. */
  bytesRead: number;
  rowsRead: number;
  rowsWritten: number;
  rowsSkipped: number;
  rowsRejected: number;
  /** Plays whose writes failed after retries (only in a failed part). */
  rowsFailed: number;
  writeRetries: number;
  durationMs: number;
  rejectsLocation: string | undefined;
}

/** Where the next part starts. */
export interface Checkpoint {
  part: number;
  offset: number;
  line: number;
  /**
   * The ledger row's revision as this checkpoint left it (set once it is recorded): the
   * continuation is marked sent only on that row, never on one reopened since (ledger.ts).
   */
  revision?: number | undefined;
}

export interface IngestReport extends IngestOutcome {
  source: string;
  etag: string | undefined;
  versionId: string | undefined;
  status: IngestStatus;
  /** Time spent in parts, not waiting between them. */
  durationMs: number;
  rowsPerSec: number;
  /** This delivery's part; absent when it ingested nothing (a duplicate, a busy or ignored object). */
  part: PartReport | undefined;
  /** Set while parts remain. */
  checkpoint: Checkpoint | undefined;
  error: string | undefined;
  failure: FailureKind | undefined;
  /** The error's class (lib/ingest/failures.ts): what GET /ingests shows of it. */
  errorClass: ErrorClass | undefined;
  /** in_progress in another delivery: when its claim runs out, at the latest. */
  retryAfterSeconds: number | undefined;
  /**
   * Only on a duplicate: the completed ingest it repeats. The duplicate itself reads and writes
   * nothing (all its counts are 0), so summing reports never counts a row twice.
   */
  previous: IngestOutcome | undefined;
  /**
   * A version split into ranges read at once (lib/ingest/split-version.ts): how many splits ended
   * of how many, and, once all have, the time from the first one's start to the last one's end.
   */
  splits: SplitsDone | undefined;
  /**
   * Only on a split's delivery after which the split has ended: whether every split of its version
   * has ended too, so that the version is asked to join (lib/ingest/lifecycle.ts, joinsAfter).
   */
  joinDue?: boolean | undefined;
  /** Only on the delivery that planned the splits (or sends them again): the split etags to send a message each. */
  fanOut: { splits: string[]; revision: number | undefined } | undefined;
}

export interface SplitsDone {
  done: number;
  total: number;
  spanMs?: number | undefined;
  /** The plan's own time (reading the whole object once for its boundaries). */
  planMs?: number | undefined;
}

type ReportFields = Partial<Omit<IngestReport, 'source' | 'status'>>;

/** A report with every field present (so every report has the same keys), counts 0 unless given. */
export function buildReport(source: string, status: IngestStatus, fields: ReportFields = {}): IngestReport {
  const now = new Date().toISOString();
  const report: IngestReport = {
    source,
    etag: undefined,
    versionId: undefined,
    status,
    format: undefined,
    compressed: undefined,
    ...NO_TOTALS,
    rejectsLocations: [],
    startedAt: now,
    finishedAt: now,
    durationMs: 0,
    rowsPerSec: 0,
    part: undefined,
    checkpoint: undefined,
    error: undefined,
    failure: undefined,
    errorClass: undefined,
    retryAfterSeconds: undefined,
    previous: undefined,
    splits: undefined,
    fanOut: undefined,
    ...fields,
  };
  report.rowsPerSec =
    report.durationMs > 0 ? Math.round((report.rowsRead * 1000) / report.durationMs) : report.rowsRead;
  return report;
}

/** Ledger → report: what a recorded ingest did so far. */
export function outcomeOf(entry: LedgerEntry): IngestOutcome {
  return {
    format: entry.format,
    compressed: entry.compressed,
    ...totalsOf(entry),
    rejectsLocations: entry.rejectsLocations,
    startedAt: entry.startedAt.toISOString(),
    finishedAt: entry.finishedAt?.toISOString(),
  };
}

/** The ledger entry of a version nobody has worked on yet. */
export function newLedgerEntry(
  source: string,
  version: { etag: string; versionId: string | undefined },
  startedAt: Date,
): LedgerEntry {
  return {
    source,
    ...version,
    status: 'in_progress',
    format: undefined,
    compressed: undefined,
    ...NO_TOTALS,
    rejectsLocations: [],
    resumeOffset: undefined,
    resumeLine: undefined,
    csvHeader: undefined,
    startedAt,
    finishedAt: undefined,
    durationMs: 0,
    error: undefined,
    failure: undefined,
    errorClass: undefined,
    leaseOwner: undefined,
    leaseUntil: undefined,
    continuedPart: undefined,
    updatedAt: undefined,
    revision: undefined,
    sweepResumes: undefined,
    splits: undefined,
    splitStart: undefined,
    splitEnd: undefined,
  };
}

/** Ledger → the position the next part reads from, when earlier parts left one. */
export function resumePositionOf(entry: LedgerEntry): ReadPosition | undefined {
  // A split's row holds its start from the plan on, before any part of it ran.
  const started = entry.parts > 0 || entry.splitEnd !== undefined;
  if (!started || entry.resumeOffset === undefined || entry.resumeLine === undefined) return undefined;
  return {
    offset: entry.resumeOffset,
    line: entry.resumeLine,
    header: entry.csvHeader === undefined ? undefined : (JSON.parse(entry.csvHeader) as string[]),
  };
}

/**
 * Report → ledger: the row that records this report, holding `next` as the checkpoint while parts
 * remain, and the lease as given (undefined releases it).
 */
export function ledgerEntryOf(
  report: IngestReport,
  status: LedgerStatus,
  next: ReadPosition | undefined,
  lease: { owner: string; until: Date } | undefined,
): LedgerEntry {
  const done = status !== 'in_progress';
  return {
    source: report.source,
    etag: report.etag ?? '',
    versionId: report.versionId,
    status,
    format: report.format,
    compressed: report.compressed,
    ...totalsOf(report),
    rejectsLocations: report.rejectsLocations,
    resumeOffset: next?.offset,
    resumeLine: next?.line,
    csvHeader: next?.header === undefined ? undefined : JSON.stringify(next.header),
    startedAt: new Date(report.startedAt),
    finishedAt: done && report.finishedAt !== undefined ? new Date(report.finishedAt) : undefined,
    durationMs: report.durationMs,
    error: report.error,
    failure: report.failure,
    errorClass: report.errorClass,
    leaseOwner: lease?.owner,
    leaseUntil: lease?.until,
    continuedPart: undefined,
    updatedAt: undefined,
    revision: undefined,
    sweepResumes: undefined,
    // A version's plan and a split's range are the row's, not a report's: the lease keeps them.
    splits: undefined,
    splitStart: undefined,
    splitEnd: undefined,
  };
}

/**
 * What one part counts as it reads, and the report of the object so far built from it: the
 * ledger's totals of earlier parts (the entry the part claimed), plus this part's own counts when
 * the part counts (completed, or ended at a checkpoint; a failed or superseded part adds nothing).
 */
export class PartTally {
  read = 0;
  skipped = 0;
  rejected = 0;
  /** The end of the last batch read: how far this part got. */
  readTo: number;
  format: Format | undefined;
  compressed: boolean | undefined;
  rejectsLocation: string | undefined;
  readonly startOffset: number;

  constructor(
    readonly source: string,
    private readonly entry: LedgerEntry,
    /** When the part started (epoch ms). */
    readonly started: number,
    private readonly sink: PlaySink,
    private readonly now: () => number,
  ) {
    this.format = entry.format;
    this.compressed = entry.compressed;
    this.startOffset = resumePositionOf(entry)?.offset ?? 0;
    this.readTo = this.startOffset;
  }

  get part(): number {
    return this.entry.parts + 1;
  }

  /** read = written + skipped + rejected, for this part. */
  get balanced(): boolean {
    return this.read === this.sink.written + this.skipped + this.rejected;
  }

  report(status: IngestStatus, error?: unknown, next?: ReadPosition): IngestReport {
    const { entry, sink } = this;
    const counted = status === 'completed' || status === 'in_progress';
    const add = (n: number) => (counted ? n : 0);
    const durationMs = this.now() - this.started;
    return buildReport(this.source, status, {
      etag: entry.etag,
      versionId: entry.versionId,
      format: this.format,
      compressed: this.compressed,
      parts: entry.parts + add(1),
      rowsRead: entry.rowsRead + add(this.read),
      rowsWritten: entry.rowsWritten + add(sink.written),
      rowsSkipped: entry.rowsSkipped + add(this.skipped),
      rowsRejected: entry.rowsRejected + add(this.rejected),
      writeRetries: entry.writeRetries + sink.retries,
      rejectsLocations: [
        ...entry.rejectsLocations,
        ...(counted && this.rejectsLocation ? [this.rejectsLocation] : []),
      ],
      startedAt: entry.startedAt.toISOString(),
      finishedAt: new Date(this.now()).toISOString(),
      durationMs: (entry.durationMs ?? 0) + durationMs,
      part: {
        number: this.part,
        startOffset: this.startOffset,
        bytesRead: this.readTo - this.startOffset,
        rowsRead: this.read,
        rowsWritten: sink.written,
        rowsSkipped: this.skipped,
        rowsRejected: this.rejected,
        rowsFailed: sink.failed,
        writeRetries: sink.retries,
        durationMs,
        rejectsLocation: this.rejectsLocation,
      },
      checkpoint:
        status === 'in_progress' && next
          ? { part: this.part + 1, offset: next.offset, line: next.line }
          : undefined,
      error: error === undefined ? undefined : messageOf(error),
      failure: error === undefined || status !== 'failed' ? undefined : failureKindOf(error),
      errorClass: error === undefined || status !== 'failed' ? undefined : errorClassOf(error),
    });
  }
}

/** A report as JSON: absent values print as null, so every report has the same keys. */
export function reportJson(report: IngestReport, indent?: number): string {
  return JSON.stringify(report, (_key, value: unknown) => (value === undefined ? null : value), indent);
}
