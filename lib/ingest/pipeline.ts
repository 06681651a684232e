// The streaming ingest of one part of one object version: admit → read → parse → classify → write
// → record. Every record read is accounted for as written, skipped (not a play) or rejected (kept
// with its reason). An object too big for one invocation is ingested in parts: when its time is
// nearly up a part stops reading at a record boundary, drains its writes and records a checkpoint;
// the next part resumes there. Whether a delivery may work, and every move of the version in the
// ledger, is the lifecycle's (lifecycle.ts); this module reads. Failures make a `failed` report
// whose kind is the error's type (failures.ts), never an exception that loses it.
import type { Readable } from 'node:stream';
import type { LedgerEntry } from '../cassandra/model';
import { type Clock, systemClock } from '../clock';
import { classify } from '../events/classify';
import { clipRaw, type ParsedRecord, type ReadPosition } from '../events/event';
import { type OpenedInput, openRecords } from '../events/input';
import type { Logger } from '../log';
import {
  cassandraFailure,
  errorClassFrom,
  errorClassOf,
  failureKindOf,
  InvariantError,
  messageOf,
} from './failures';
import type { Ledger } from './ledger';
import {
  ADMISSION_STATUS,
  admit,
  failureEnds,
  type Lease,
  type LifecycleDeps,
  reportEndsVersion,
} from './lifecycle';
import type { OpenIngests } from './open-ingests';
import {
  buildReport,
  type IngestReport,
  type IngestStatus,
  newLedgerEntry,
  outcomeOf,
  PartTally,
} from './report';
import { splitRecords } from './split-plan';
import {
  allSplitsEnded,
  carrySplitVersion,
  planSplitVersion,
  plansSplits,
  type SplitPorts,
} from './split-version';
import { splitOf } from './splits';
import {
  ObjectChangedError,
  type ObjectSource,
  type ObjectVersion,
  type OpenedObject,
  type PlaySink,
  type Progress,
  type Reject,
  type RejectStore,
} from './types';

export interface IngestDeps {
  /** One per part: its counts are the part's. */
  sink: PlaySink;
  ledger: Ledger;
  /** The sweep's index of versions in progress; absent where no sweep resumes (local files). */
  open?: OpenIngests;
  /** Where a part's rejects go. */
  rejects: (version: ObjectVersion, part: number) => RejectStore;
  /**
   * Where the report of a delivery that ends the version is stored, before the ledger records the
   * end, so that an ended version always has its report; absent: not stored (the CLI writes its own).
   */
  reports?: { store(report: IngestReport): Promise<void> };
  log: Logger;
  /** Who this delivery is, for the lease. */
  owner: string;
  leaseMs: number;
  clock?: Clock;
  onProgress?: (p: Progress) => void;
  progressIntervalMs?: number;
  /** Absent: no object is split (the CLI reads every object whole). */
  splits?: SplitPorts;
}

/** What a delivery asks for. */
export interface IngestRequest {
  /**
   * The version the message names and the part it asks for (a notification that names its version
   * asks for part 1); absent: the object as it is now, from part 1.
   */
  continuation?: ObjectVersion & { part: number; join?: boolean };
  /** When reading stops at the next record boundary and the part checkpoints; none: read to the end. */
  stopReadingAt?: number;
  /** The message's last delivery: a transient failure now ends the version as failed. */
  lastDelivery?: boolean;
}

/** A reject as stored: the record's original text clipped (a runaway record can be megabytes). */
function rejectOf(rec: ParsedRecord, reason: string): Reject {
  return { line: rec.line, reason, record: rec.fields, raw: clipRaw(rec.raw) };
}

export async function ingestObject(
  source: ObjectSource,
  deps: IngestDeps,
  request: IngestRequest = {},
): Promise<IngestReport> {
  const report = await ingestDelivery(source, deps, request);
  return splitEnded(report) ? { ...report, joinDue: await allSplitsEnded(deps.ledger, report) } : report;
}

/** A split's delivery after which the split has ended (or had before): its version may be joinable. */
function splitEnded(report: IngestReport): boolean {
  if (report.etag === undefined || splitOf(report.etag) === undefined) return false;
  return ['completed', 'superseded', 'duplicate', 'failed'].includes(report.status);
}

async function ingestDelivery(
  source: ObjectSource,
  deps: IngestDeps,
  request: IngestRequest,
): Promise<IngestReport> {
  const clock = deps.clock ?? systemClock;
  const started = clock.now();
  const log = deps.log.child({ source: source.source });
  const brief = (status: IngestStatus, version: Partial<ObjectVersion>, fields: Partial<IngestReport>) =>
    buildReport(source.source, status, {
      etag: version.etag,
      versionId: version.versionId,
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date(clock.now()).toISOString(),
      ...fields,
    });
  const failed = (version: Partial<ObjectVersion>, err: unknown) => {
    log.error('ingest failed before reading', { err });
    return brief('failed', version, {
      error: messageOf(err),
      failure: failureKindOf(err),
      errorClass: errorClassOf(err),
    });
  };

  // Which version: the message names it, or it is the object as it is now.
  let opened: OpenedObject | undefined;
  let version: ObjectVersion;
  if (request.continuation) {
    version = { etag: request.continuation.etag, versionId: request.continuation.versionId };
  } else {
    try {
      opened = await source.open();
    } catch (err: unknown) {
      return failed({}, err);
    }
    version = { etag: opened.etag, versionId: opened.versionId };
  }
  const lifecycle: LifecycleDeps = { ...deps, clock, log };
  try {
    const fresh = newLedgerEntry(source.source, version, new Date(started));
    const admission = await admit(
      lifecycle,
      fresh,
      request.continuation?.part ?? 1,
      request.continuation?.join === true,
    );
    if (admission.kind === 'work') {
      const { lease } = admission;
      if (lease.entry.splits !== undefined && deps.splits) {
        opened?.body.destroy();
        return await carrySplitVersion(
          { lifecycle, ports: deps.splits, clock, log },
          lease,
          deps.reports,
          source,
        );
      }
      return await ingestPart(source, deps, request, lease, opened, clock, log);
    }
    opened?.body.destroy();
    if (admission.kind === 'stale' && request.continuation?.join && failedJoin(admission.entry))
      return failedJoinAgain(source.source, admission.entry, brief);
    const why = admission.kind === 'stale' ? admission.why : undefined;
    log.info('nothing to do for this delivery', { admission: admission.kind, why });
    return brief(ADMISSION_STATUS[admission.kind], version, {
      ...(admission.kind === 'duplicate'
        ? { previous: outcomeOf(admission.entry) }
        : outcomeOf(admission.entry)),
      ...(admission.kind === 'busy'
        ? {
            error: 'being ingested by another delivery',
            // A join finds its version busy only while another split's join looks at it (a few
            // reads): it comes back after the first backoff, not when that lease would run out.
            retryAfterSeconds: request.continuation?.join
              ? 1
              : Math.max(1, Math.ceil(admission.retryAfterMs / 1000)),
          }
        : { error: why }),
    });
  } catch (err: unknown) {
    opened?.body.destroy();
    return failed(version, err);
  }
}

/** A split version whose join ended it failed. */
function failedJoin(entry: LedgerEntry): boolean {
  return entry.status === 'failed' && entry.splits !== undefined;
}

/**
 * A join message for a version its join ended failed: the report of that end again, so that the
 * message goes to the dead-letter queue (again). The join that ended the version may have died
 * before its message got there, and only a message of the version's own redrives it; a duplicate
 * in the dead-letter queue finds the version reopened or done.
 */
function failedJoinAgain(
  source: string,
  entry: LedgerEntry,
  brief: (
    status: IngestStatus,
    version: Partial<ObjectVersion>,
    fields: Partial<IngestReport>,
  ) => IngestReport,
): IngestReport {
  return brief('failed', entry, {
    ...outcomeOf(entry),
    // How many completed is in the report the join stored; this one only carries the message.
    splits: { done: 0, total: entry.splits ?? 0 },
    error: entry.error ?? `${source}: a split failed`,
    failure: entry.failure,
    errorClass: errorClassFrom(entry.errorClass, entry.failure),
  });
}

/**
 * The bytes this part reads: what the notification opened, or the version from its checkpoint on;
 * for a split, up to its end (a gzip object's split reads the plan's text of its range instead).
 */
async function partBody(
  source: ObjectSource,
  lease: Lease,
  opened: OpenedObject | undefined,
  splits: SplitPorts | undefined,
): Promise<{ body: Readable; size?: number | undefined }> {
  const { entry, resumeAt } = lease;
  const split = splitOf(entry.etag);
  if (split) {
    const { splitStart, splitEnd } = entry;
    opened?.body.destroy();
    if (resumeAt === undefined || splitStart === undefined || splitEnd === undefined)
      throw new InvariantError(`${entry.source} (${entry.etag}) is a split with no range`);
    const version = { etag: split.etag, versionId: entry.versionId };
    if (!entry.compressed) return source.openAt(version, resumeAt.offset, splitEnd);
    if (!splits)
      throw new InvariantError(
        `${entry.source} (${entry.etag}): a split of a gzip object, and no split texts`,
      );
    // The text outlives the object: a split whose object was overwritten ends superseded, as the
    // split of a plain object does when its ranged GET is refused (one byte, pinned to the version).
    (await source.openAt(version, 0, 1)).body.destroy();
    return {
      body: await splits.readText(version, split.split, resumeAt.offset - splitStart, splitEnd - splitStart),
    };
  }
  // gzip has no way in but its start: it is inflated from byte 0 and read on from the checkpoint.
  const from = resumeAt && !entry.compressed ? resumeAt.offset : 0;
  if (opened && from === 0) return opened;
  opened?.body.destroy();
  return source.openAt(entry, from);
}

async function ingestPart(
  source: ObjectSource,
  deps: IngestDeps,
  request: IngestRequest,
  lease: Lease,
  opened: OpenedObject | undefined,
  clock: Clock,
  log: Logger,
): Promise<IngestReport> {
  const { sink } = deps;
  const tally = new PartTally(source.source, lease.entry, clock.now(), sink, () => clock.now());
  const rejects = deps.rejects(lease.entry, lease.part);
  let next: ReadPosition | undefined;
  let failure: unknown;
  let body: Readable | undefined;
  let planned: IngestReport | undefined;
  const split = splitOf(lease.entry.etag);
  try {
    const part = await partBody(source, lease, opened, deps.splits);
    body = part.body;
    const { resumeAt, entry } = lease;
    if (deps.splits && plansSplits(entry, part.size, deps.splits)) {
      const ctx = { lifecycle: { ...deps, clock, log }, ports: deps.splits, clock, log };
      planned = await planSplitVersion(ctx, lease, body, source.name);
    } else {
      const format = entry.format as OpenedInput['format'];
      const input =
        split && resumeAt
          ? await splitRecords(
              body,
              source.name,
              { format },
              { index: split.split - 1, end: entry.splitEnd ?? 0 },
              resumeAt,
            )
          : await openRecords(
              body,
              source.name,
              resumeAt && entry.format && entry.compressed !== undefined
                ? { position: resumeAt, format, compressed: entry.compressed }
                : undefined,
            );
      tally.format = input.format;
      // A split of a gzip object reads the plan's text, but the object is gzip, as its version's row says.
      tally.compressed = split ? entry.compressed : input.compressed;
      next = await readRecords(input, tally, rejects, deps, lease, request, clock);
    }
  } catch (err: unknown) {
    failure = err;
  } finally {
    // Whatever happened, nothing may still be in flight when the part is recorded.
    await sink.drain().catch((err: unknown) => {
      failure ??= err;
    });
    body?.destroy();
  }
  if (sink.error !== undefined) failure ??= cassandraFailure(sink.error, 'writing plays');
  if (failure === undefined && !tally.balanced) {
    failure = new InvariantError(
      `accounting mismatch in part ${tally.part}: read ${tally.read} != written ${sink.written} + skipped ${tally.skipped} + rejected ${tally.rejected}`,
    );
  }
  if (failure === undefined) {
    try {
      tally.rejectsLocation = await rejects.finish();
    } catch (err: unknown) {
      failure = err;
    }
  }
  if (failure !== undefined) await rejects.abandon();
  if (planned && failure === undefined) return planned;
  // A split has no report of its own: its version's, when they are joined, sums them.
  const reports = split ? undefined : deps.reports;
  return settle(lease, tally, failure, next, request.lastDelivery === true, reports, log);
}

/** Reads records until the object ends (undefined) or the part's time is up (where the next part starts). */
async function readRecords(
  input: OpenedInput,
  tally: PartTally,
  rejects: RejectStore,
  deps: IngestDeps,
  lease: Lease,
  request: IngestRequest,
  clock: Clock,
): Promise<ReadPosition | undefined> {
  const { sink } = deps;
  const interval = deps.progressIntervalMs ?? 1000;
  let nextProgress = clock.now() + interval;
  for await (const batch of input.batches) {
    for (const rec of batch.records) {
      tally.read++;
      const verdict =
        rec.kind === 'malformed' ? { kind: 'reject' as const, reason: rec.reason } : classify(rec.playFields);
      if (verdict.kind === 'skip') {
        tally.skipped++;
      } else if (verdict.kind === 'reject') {
        tally.rejected++;
        await rejects.add(rejectOf(rec, verdict.reason));
      } else {
        // Waiting here, while the sink has all it can take in flight, is what pauses parsing and reading.
        const full = sink.add(verdict.play);
        if (full) await full;
        // A write failed after its retries: stop reading; the part is done again from its checkpoint.
        if (sink.error !== undefined) return undefined;
      }
    }
    tally.readTo = batch.end.offset;
    const now = clock.now();
    if (deps.onProgress && now >= nextProgress) {
      nextProgress = now + interval;
      const { rowsRead, rowsWritten } = tally.report('in_progress');
      deps.onProgress({ source: tally.source, rowsRead, rowsWritten, elapsedMs: now - tally.started });
    }
    // A long part (the CLI has no deadline) keeps its lease; a lost one ends the part.
    await lease.renewIfDue();
    if (request.stopReadingAt !== undefined && now >= request.stopReadingAt) return batch.end;
  }
  return undefined;
}

/**
 * Records how the part ended through its lease, and reports it. An outcome that ends the version
 * has its report stored first. Not recorded means not done: a later delivery does the part again
 * (its writes are idempotent), so an outcome that could not be recorded is reported as a failure
 * of its own kind.
 */
async function settle(
  lease: Lease,
  tally: PartTally,
  failure: unknown,
  next: ReadPosition | undefined,
  lastDelivery: boolean,
  reports: IngestDeps['reports'],
  log: Logger,
): Promise<IngestReport> {
  const superseded = failure instanceof ObjectChangedError;
  const status: IngestStatus = superseded
    ? 'superseded'
    : failure !== undefined
      ? 'failed'
      : next
        ? 'in_progress'
        : 'completed';
  const report = tally.report(status, failure, next);
  if (status === 'failed') {
    // The failure stands as reported, recorded or not: without the ledger, the lease runs out by itself.
    log.error('ingest failed', { report, err: failure });
    const kind = report.failure ?? 'defect';
    // A version ends failed only once its report is stored; until then it stays in progress, and a
    // retry (or the sweep) comes back to it.
    let ends = failureEnds(kind, lastDelivery);
    if (ends && reports) {
      ends = await lease
        .renew()
        .then(() => reports.store(report))
        .then(
          () => true,
          (err: unknown) => {
            log.error('could not store the report of a failed version; it stays in progress', { err });
            return false;
          },
        );
    }
    if (kind !== 'lease_lost')
      await lease
        .fail(report.error ?? 'failed', kind, report.errorClass ?? 'internal_error', ends)
        .catch((err: unknown) => log.error('the failure could not be recorded', { err }));
    return report;
  }
  const ends = reports !== undefined && reportEndsVersion(report, lastDelivery);
  try {
    if (ends) {
      await lease.renew();
      await reports?.store(report);
    }
    if (superseded) await lease.supersede(report);
    else if (next) await lease.checkpoint(report, next);
    else await lease.complete(report);
  } catch (err: unknown) {
    const unrecorded = {
      ...tally.report('failed', err),
      error: `could not record the outcome: ${messageOf(err)}`,
    };
    log.error('ingest failed', { report: unrecorded, err });
    // Let go of the lease where the ledger still answers (the report could not be stored, say), so
    // that the retry can take the version at once instead of finding it busy until the lease runs out.
    if (unrecorded.failure !== 'lease_lost')
      await lease
        .fail(
          unrecorded.error,
          unrecorded.failure ?? 'defect',
          unrecorded.errorClass ?? 'internal_error',
          false,
        )
        .catch((e: unknown) => log.warn('could not let go of the lease; it runs out by itself', { err: e }));
    return unrecorded;
  }
  // The continuation is marked sent on the row as this checkpoint left it (lib/ingest/ledger.ts).
  const settled = report.checkpoint
    ? { ...report, checkpoint: { ...report.checkpoint, revision: lease.entry.revision } }
    : report;
  log.info(
    status === 'in_progress' ? 'part done; the next part continues from the checkpoint' : `ingest ${status}`,
    { report: settled },
  );
  return settled;
}
