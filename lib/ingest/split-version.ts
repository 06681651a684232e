// A version split into ranges that several deliveries read at once (issue 22; docs/splits.md). The
// version's own row (etag E) is planned, fanned out and joined here, always under E's lease; each
// split is a row of its own (etag E/split-000k, lib/ingest/splits.ts) that the ordinary pipeline
// reads in parts like any version, only within its range.
//
//   E, part 1, larger than INGEST_SPLIT_BYTES ──plan──▶ split rows (in progress, each at its start)
//     ──▶ E planned (splits = n, lease let go) ──fan-out──▶ one message per split ──▶ E continued
//   a split ends and sees every split ended ──▶ a join message for E ──▶ E's delivery joins them:
//     one report, one outcome (a join too early finds a split running and does nothing)
//
// A message for E that finds it not yet fanned out (the send failed, or a redrive reopened it)
// fans out to every split not completed (a superseded one only if the object is E again); a split
// asked twice finds itself busy, stale or done.
import type { Readable } from 'node:stream';
import type { LedgerEntry } from '../cassandra/model';
import type { Clock } from '../clock';
import type { Logger } from '../log';
import { errorClassOf, failureKindOf, InvariantError, messageOf } from './failures';
import type { Ledger } from './ledger';
import { fileOpen, type Lease, type LifecycleDeps } from './lifecycle';
import { buildReport, type IngestReport } from './report';
import { planSplits, type SplitPlan } from './split-plan';
import type { SplitTexts } from './split-texts';
import { joinSplits, splitEtag, splitOf, splitRows } from './splits';
import { ObjectChangedError, type ObjectSource, type ObjectVersion } from './types';

/** What splitting needs besides the ordinary ingest's services. */
export interface SplitPorts {
  /** A version whose object is larger than this (bytes as stored) is split. */
  bytes: number;
  /** Where the plan of a gzip version puts each split's inflated text. */
  texts(version: ObjectVersion): SplitTexts;
  /** The text of split k (1-based) of a gzip version, from `offset` to `end` within that split's text. */
  readText(version: ObjectVersion, split: number, offset: number, end: number): Promise<Readable>;
  /** Removes a gzip version's split texts once it ended (a lifecycle rule removes what this misses). */
  removeTexts(version: ObjectVersion, splits: number): Promise<void>;
}

/** Whether this part plans splits: the version's first, of an object larger than the split size. */
export function plansSplits(
  entry: LedgerEntry,
  size: number | undefined,
  ports: SplitPorts | undefined,
): boolean {
  return (
    ports !== undefined &&
    entry.parts === 0 &&
    entry.splits === undefined &&
    entry.splitEnd === undefined &&
    size !== undefined &&
    size > ports.bytes
  );
}

interface Ctx {
  lifecycle: LifecycleDeps;
  ports: SplitPorts;
  clock: Clock;
  log: Logger;
}

/**
 * Plans the version's splits from its whole object (`body`, from byte 0), writes their rows (each
 * filed in the sweep's index first), and marks the version planned. Answers the report that fans
 * out. What fails here fails the part as any read would (the caller settles it).
 */
export async function planSplitVersion(
  ctx: Ctx,
  lease: Lease,
  body: AsyncIterable<Buffer>,
  name: string,
): Promise<IngestReport> {
  const { clock, log, ports } = ctx;
  const started = clock.now();
  const version = lease.entry;
  const texts = ports.texts(version);
  let plan: SplitPlan;
  try {
    plan = await planSplits(body, name, ports.bytes, texts);
  } catch (err: unknown) {
    await texts.abandon();
    throw err;
  }
  const planMs = clock.now() - started;
  const rows = splitRows(version, plan, new Date(started));
  for (const row of rows) {
    await fileOpen(ctx.lifecycle, row);
    await insertSplit(ctx.lifecycle.ledger, row);
  }
  await lease.planned(rows.length, plan.format, plan.compressed, planMs);
  log.info('split the version', {
    splits: rows.length,
    textBytes: plan.textBytes,
    planMs,
    ...(plan.readerFrom !== undefined ? { readerFrom: plan.readerFrom } : {}),
  });
  return buildReport(version.source, 'in_progress', {
    etag: version.etag,
    versionId: version.versionId,
    format: plan.format,
    compressed: plan.compressed,
    startedAt: version.startedAt.toISOString(),
    finishedAt: new Date(clock.now()).toISOString(),
    durationMs: planMs,
    splits: { done: 0, total: rows.length },
    fanOut: { splits: rows.map((r) => r.etag), revision: lease.entry.revision },
  });
}

/**
 * A split's row, unless it exists. One that exists must be this plan's: the plan of an object is
 * the same every time for the same split size, and only a plan that failed before marking the
 * version planned leaves rows behind.
 */
async function insertSplit(ledger: Ledger, row: LedgerEntry): Promise<void> {
  const there = await ledger.createIfAbsent(row);
  if (there && (there.splitStart !== row.splitStart || there.splitEnd !== row.splitEnd))
    throw new InvariantError(
      `${row.source} (${row.etag}) was planned before as [${there.splitStart}, ${there.splitEnd}), now as ` +
        `[${row.splitStart}, ${row.splitEnd}): INGEST_SPLIT_BYTES changed while the version was being planned`,
    );
}

/** Every split row of a planned version, in split order (undefined where a row is missing). */
export async function splitRowsOf(
  ledger: Ledger,
  version: LedgerEntry,
): Promise<(LedgerEntry | undefined)[]> {
  const total = version.splits ?? 0;
  return Promise.all(
    Array.from({ length: total }, (_, i) => ledger.find(version.source, splitEtag(version.etag, i + 1))),
  );
}

/**
 * A message for a planned version, under its lease: fan out to its splits if that is not known to
 * have been done since it was planned or reopened, else join them if they all ended, else nothing.
 */
export async function carrySplitVersion(
  ctx: Ctx,
  lease: Lease,
  reports: { store(report: IngestReport): Promise<void> } | undefined,
  source: ObjectSource,
): Promise<IngestReport> {
  /** Whether the object is this version now: one byte of it, pinned to its ETag. */
  const isCurrent = async (version: LedgerEntry) => {
    try {
      (await source.openAt(version, 0, 1)).body.destroy();
      return true;
    } catch (err: unknown) {
      if (err instanceof ObjectChangedError) return false;
      throw err;
    }
  };
  const { clock, log } = ctx;
  const version = lease.entry;
  const brief = (status: IngestReport['status'], fields: Partial<IngestReport>) =>
    buildReport(version.source, status, {
      etag: version.etag,
      versionId: version.versionId,
      format: version.format,
      compressed: version.compressed,
      startedAt: version.startedAt.toISOString(),
      finishedAt: new Date(clock.now()).toISOString(),
      ...fields,
    });
  try {
    const rows = (await splitRowsOf(ctx.lifecycle.ledger, version)).filter(
      (r): r is LedgerEntry => r !== undefined,
    );
    const join = joinSplits(version, rows);
    const done = rows.filter((r) => r.status === 'completed').length;
    const total = version.splits ?? 0;
    if ((version.continuedPart ?? 0) < 1) {
      // Not fanned out since it was planned or reopened: every split still to read gets a message.
      // A superseded split only if the object is this version again (the same bytes uploaded
      // again): otherwise it would be taken up, find the object gone, end superseded, and ask for
      // a join that fans out again (simulator seed 208892); the version joins as superseded.
      const statusOf = (etag: string) => rows.find((r) => r.etag === etag)?.status;
      const all = Array.from({ length: total }, (_, i) => splitEtag(version.etag, i + 1));
      const superseded = all.filter((etag) => statusOf(etag) === 'superseded');
      const again = superseded.length > 0 && (await isCurrent(version));
      // The same bytes uploaded again: its superseded splits are taken up again here, under the
      // version's lease (a split's own message never reopens it). One changed meanwhile is left.
      if (again)
        for (const etag of superseded) {
          const row = rows.find((r) => r.etag === etag);
          if (row) await ctx.lifecycle.ledger.writeIfUnchanged(row, { ...row, status: 'in_progress' });
        }
      const pending = all.filter((etag) => {
        const status = statusOf(etag);
        return status !== 'completed' && (status !== 'superseded' || again);
      });
      if (pending.length > 0) {
        await lease.release();
        log.info('sending the splits their messages', { splits: pending.length, of: total });
        return brief('in_progress', {
          splits: { done, total },
          fanOut: { splits: pending, revision: lease.entry.revision },
        });
      }
    }
    if (join.kind === 'running') {
      await lease.release();
      return brief('ignored', {
        splits: { done: join.done, total },
        error: `its splits are being ingested: ${join.done} of ${total} done`,
      });
    }
    const report = brief(join.status, {
      ...join.totals,
      rejectsLocations: join.rejectsLocations,
      startedAt: join.startedAt.toISOString(),
      finishedAt: join.finishedAt.toISOString(),
      durationMs: (version.durationMs ?? 0) + rows.reduce((n, r) => n + (r.durationMs ?? 0), 0),
      splits: {
        done,
        total,
        spanMs: join.finishedAt.getTime() - join.startedAt.getTime(),
        // The version's own time is its plan's (lib/ingest/lifecycle.ts, planned).
        planMs: version.durationMs ?? 0,
      },
      error: join.error,
      failure: join.failure,
      errorClass: join.errorClass as IngestReport['errorClass'],
    });
    // The report before the end, as every version's (lib/ingest/pipeline.ts, settle).
    if (reports) {
      await lease.renew();
      await reports.store(report);
    }
    await lease.join(report);
    log.info(`ingest ${join.status}: its ${total} splits joined`, { report });
    // A failed version keeps its texts for a redrive (the lifecycle rule removes them in the end).
    if (version.compressed && join.status !== 'failed')
      await ctx.ports
        .removeTexts(version, total)
        .catch((err: unknown) => log.warn('could not remove the split texts; they expire', { err }));
    return report;
  } catch (err: unknown) {
    // Not joined: the version stays as it was, and its lease goes so that a retry takes it at once.
    await lease.release().catch(() => undefined);
    log.error('could not carry the split version on', { err });
    return brief('failed', {
      error: `could not carry the split version on: ${messageOf(err)}`,
      failure: failureKindOf(err),
      errorClass: errorClassOf(err),
    });
  }
}

/**
 * Whether every split of the report's version has ended, as the ledger says now: only then does
 * the split ask its version to join. Of two splits ending at once, the one that reads second sees
 * both ends (the reads are linearizable), so one of them asks. Not known (the ledger unreachable):
 * it asks anyway; a join too early finds the splits running and does nothing.
 */
export async function allSplitsEnded(ledger: Ledger, report: IngestReport): Promise<boolean> {
  const of = splitOf(report.etag ?? '');
  if (!of) return false;
  try {
    const version = await ledger.find(report.source, of.etag);
    if (version?.splits === undefined) return true;
    const rows = await splitRowsOf(ledger, version);
    return rows.every((r) => r !== undefined && r.status !== 'in_progress');
  } catch {
    return true;
  }
}
