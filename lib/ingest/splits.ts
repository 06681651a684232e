// Splits as versions of the lifecycle (SPLITS-DESIGN.md): the row of split k of version E is keyed
// `E/split-000k` in E's partition, begins where its plan says and ends at splitEnd; E completes
// when every split has (the join), with totals summed over them. Pure: the rows a plan makes, what
// a split etag names, and the outcome the splits' rows add up to.
import type { IngestTotals, LedgerEntry } from '../cassandra/model';
import { InvariantError } from './failures';
import { newLedgerEntry } from './report';
import type { SplitPlan } from './split-plan';

const MARK = '/split-';

/** The etag of split k (1-based) of version `etag`. An ETag holds no '/', so it never collides. */
export function splitEtag(etag: string, k: number): string {
  return `${etag}${MARK}${String(k).padStart(4, '0')}`;
}

/** The version and split (1-based) a split's etag names; undefined for a version's own etag. */
export function splitOf(etag: string): { etag: string; split: number } | undefined {
  const at = etag.lastIndexOf(MARK);
  if (at < 0) return undefined;
  const split = Number(etag.slice(at + MARK.length));
  if (!Number.isInteger(split) || split < 1) throw new InvariantError(`"${etag}" names no split`);
  return { etag: etag.slice(0, at), split };
}

/** The ledger rows of a plan's splits: in progress, nothing read, each resuming at its start. */
export function splitRows(
  version: Pick<LedgerEntry, 'source' | 'etag' | 'versionId'>,
  plan: SplitPlan,
  now: Date,
): LedgerEntry[] {
  return plan.splits.map((s) => ({
    ...newLedgerEntry(
      version.source,
      { etag: splitEtag(version.etag, s.index + 1), versionId: version.versionId },
      now,
    ),
    format: plan.format,
    // Whether the object is gzip: a split of it reads the plan's inflated text of its range.
    compressed: plan.compressed,
    resumeOffset: s.start.offset,
    resumeLine: s.start.line,
    csvHeader: s.start.header === undefined ? undefined : JSON.stringify(s.start.header),
    splitStart: s.start.offset,
    splitEnd: s.end,
  }));
}

/** Where a split version stands, from its splits' rows: still running, or ended with one outcome. */
export type Join =
  | { kind: 'running'; done: number; total: number }
  | {
      kind: 'ended';
      status: 'completed' | 'failed' | 'superseded';
      totals: IngestTotals;
      /** Every split's rejects objects, in split order (and each split's in part order). */
      rejectsLocations: string[];
      startedAt: Date;
      finishedAt: Date;
      /** The first failed split's, when the version failed. */
      error?: string | undefined;
      failure?: LedgerEntry['failure'];
      errorClass?: string | undefined;
    };

/**
 * The outcome E's splits add up to. Ended once every split has: superseded if any split found the
 * object overwritten, else failed if any failed for good, else completed; totals summed, so the
 * version's report counts every record once.
 */
export function joinSplits(version: LedgerEntry, rows: readonly LedgerEntry[]): Join {
  const total = version.splits;
  if (!total) throw new InvariantError(`${version.source} (${version.etag}) has no splits to join`);
  const bySplit = new Map<number, LedgerEntry>();
  for (const row of rows) {
    const of = splitOf(row.etag);
    if (of?.etag === version.etag) bySplit.set(of.split, row);
  }
  const splits = Array.from({ length: total }, (_, i) => bySplit.get(i + 1));
  const done = splits.filter((r) => r?.status === 'completed').length;
  if (splits.some((r) => r === undefined || r.status === 'in_progress'))
    return { kind: 'running', done, total };
  const ended = splits as LedgerEntry[];
  const failed = ended.find((r) => r.status === 'failed');
  const status = ended.some((r) => r.status === 'superseded')
    ? 'superseded'
    : failed
      ? 'failed'
      : 'completed';
  return {
    kind: 'ended',
    status,
    totals: splitProgress(version, ended).totals,
    rejectsLocations: ended.flatMap((r) => r.rejectsLocations),
    startedAt: new Date(Math.min(...ended.map((r) => r.startedAt.getTime()))),
    finishedAt: new Date(Math.max(...ended.map((r) => (r.finishedAt ?? r.startedAt).getTime()))),
    ...(status === 'failed' && failed
      ? { error: failed.error, failure: failed.failure, errorClass: failed.errorClass }
      : {}),
  };
}

/**
 * How far a split version got, for the status endpoint: splits completed of all, and the totals of
 * what its splits recorded so far (the version's own totals are set only when they are joined).
 */
export function splitProgress(
  version: LedgerEntry,
  rows: readonly LedgerEntry[],
): { done: number; total: number; totals: IngestTotals } {
  const mine = rows.filter((r) => splitOf(r.etag)?.etag === version.etag);
  const sum = (f: keyof IngestTotals) => mine.reduce((n, r) => n + r[f], 0);
  return {
    done: mine.filter((r) => r.status === 'completed').length,
    total: version.splits ?? 0,
    totals: {
      parts: sum('parts'),
      rowsRead: sum('rowsRead'),
      rowsWritten: sum('rowsWritten'),
      rowsSkipped: sum('rowsSkipped'),
      rowsRejected: sum('rowsRejected'),
      writeRetries: sum('writeRetries'),
    },
  };
}
