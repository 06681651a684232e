// The streaming ingest of one part of one object: claim → read → parse → classify → write →
// record. Every record read is accounted for as written, skipped (not a play) or rejected (kept
// with its reason). An object too big for one invocation is ingested in parts: when its time is
// nearly up a part stops reading at a record boundary, drains its writes and records a checkpoint
// (where the next record starts, the totals so far) in the ledger; the next part resumes there.
// Input problems and write failures make a `failed` report, never an exception that loses it.

import type { LedgerEntry } from '../cassandra/model';
import { classify } from '../events/classify';
import { clipRaw, type ParsedRecord, type ReadPosition } from '../events/event';
import { openRecords, type ResumeFrom } from '../events/input';
import { InputError } from '../events/input-error';
import type { Logger } from '../log';
import {
  buildReport,
  type FailureKind,
  type IngestReport,
  type IngestStatus,
  ledgerEntryOf,
  newLedgerEntry,
  outcomeOf,
  resumePositionOf,
} from './report';
import {
  type Ledger,
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
  /** Where a part's rejects go; part 1's name is the object's own, later parts are numbered. */
  rejects: (part: number) => RejectStore;
  log: Logger;
  /** Who this delivery is, for the lease. */
  owner: string;
  leaseMs: number;
  onProgress?: (p: Progress) => void;
  progressIntervalMs?: number;
}

/** What a delivery asks for. */
export interface IngestRequest {
  /** A continuation names the version and the part it continues; a notification names neither. */
  continuation?: ObjectVersion & { part: number };
  /** When reading stops at the next record boundary and the part checkpoints; none: read to the end. */
  stopReadingAt?: number;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const failureKind = (err: unknown): FailureKind => (err instanceof InputError ? 'input' : 'transient');

/** A reject as stored: the record's original text clipped (a runaway record can be megabytes). */
function rejectOf(rec: ParsedRecord, reason: string): Reject {
  return { line: rec.line, reason, record: rec.fields, raw: clipRaw(rec.raw) };
}

export async function ingestObject(
  source: ObjectSource,
  deps: IngestDeps,
  request: IngestRequest = {},
): Promise<IngestReport> {
  const partStart = new Date();
  const log = deps.log.child({ source: source.source });
  const brief = (status: IngestStatus, version: Partial<ObjectVersion>, fields: Partial<IngestReport> = {}) =>
    buildReport(source.source, status, {
      etag: version.etag,
      versionId: version.versionId,
      startedAt: partStart.toISOString(),
      ...fields,
    });

  // Which version: a continuation names it; a notification means the object as it is now.
  let opened: OpenedObject | undefined;
  let version: ObjectVersion;
  if (request.continuation) {
    version = { etag: request.continuation.etag, versionId: request.continuation.versionId };
  } else {
    try {
      opened = await source.open();
    } catch (err: unknown) {
      log.error('cannot open object', { err });
      return brief('failed', {}, { error: `cannot read the object: ${message(err)}`, failure: 'transient' });
    }
    version = { etag: opened.etag, versionId: opened.versionId };
  }
  const close = () => opened?.body.destroy();

  let entry: LedgerEntry;
  try {
    const claim = await deps.ledger.claim(
      newLedgerEntry(source.source, version, partStart),
      deps.owner,
      deps.leaseMs,
    );
    if (claim.kind === 'done') {
      // This delivery reads and writes nothing: its counts stay 0, and what the earlier ingest did
      // is carried apart, never as new work.
      close();
      const previous = outcomeOf(claim.entry);
      log.info('already ingested: this object version completed before, nothing written', { previous });
      return brief('duplicate', version, { previous });
    }
    if (claim.kind === 'busy') {
      close();
      log.info('another delivery is ingesting this object version now; leaving it to that one', {
        etag: version.etag,
        leaseUntil: claim.entry.leaseUntil,
      });
      const leaseLeft = (claim.entry.leaseUntil?.getTime() ?? Date.now()) - Date.now();
      return brief('in_progress', version, {
        ...outcomeOf(claim.entry),
        error: 'being ingested by another delivery',
        retryAfterSeconds: Math.max(1, Math.ceil(leaseLeft / 1000)),
      });
    }
    entry = claim.entry;
  } catch (err: unknown) {
    close();
    log.error('ingest ledger unavailable', { err });
    return brief('failed', version, {
      error: `ingest ledger unavailable: ${message(err)}`,
      failure: 'transient',
    });
  }
  const release = async (e: LedgerEntry) => {
    await deps.ledger
      .write({ ...e, leaseOwner: undefined, leaseUntil: undefined }, deps.owner)
      .catch((err: unknown) => log.warn('could not release the lease; it expires by itself', { err }));
  };

  // A continuation is stale when its part already ran (a duplicate message) or the version is done.
  const stale =
    request.continuation !== undefined &&
    (entry.status === 'completed' || entry.parts + 1 !== request.continuation.part);
  if (stale || entry.status === 'superseded') {
    close();
    await release(entry);
    const why =
      entry.status === 'superseded'
        ? 'the object was overwritten before its last part'
        : `a stale continuation: the ledger is at part ${entry.parts} (${entry.status})`;
    log.info('nothing to do for this message', { why });
    return brief(entry.status === 'superseded' ? 'superseded' : 'ignored', version, {
      ...outcomeOf(entry),
      error: why,
    });
  }
  if (entry.status !== 'in_progress' || entry.error !== undefined) {
    // A retry after a failed part: the ledger says it is being worked on again.
    entry = { ...entry, status: 'in_progress', error: undefined };
    try {
      if (!(await deps.ledger.write(entry, deps.owner))) {
        close();
        return brief('in_progress', version, {
          ...outcomeOf(entry),
          error: 'being ingested by another delivery',
        });
      }
    } catch (err: unknown) {
      close();
      return brief('failed', version, {
        error: `ingest ledger unavailable: ${message(err)}`,
        failure: 'transient',
      });
    }
  }
  return ingestPart(source, deps, request, entry, opened, partStart, log);
}

async function ingestPart(
  source: ObjectSource,
  deps: IngestDeps,
  request: IngestRequest,
  entry: LedgerEntry,
  opened: OpenedObject | undefined,
  partStart: Date,
  log: Logger,
): Promise<IngestReport> {
  const { sink } = deps;
  const part = entry.parts + 1;
  const version: ObjectVersion = { etag: entry.etag, versionId: entry.versionId };
  const resumeAt = resumePositionOf(entry);
  const counts = { read: 0, skipped: 0, rejected: 0 };
  let format = entry.format;
  let compressed = entry.compressed;
  let partRejects: string | undefined;
  let next: ReadPosition | undefined;
  let failure: unknown;
  // The end of the last batch read: how far this part got.
  let readTo = resumeAt?.offset ?? 0;

  /** The whole object so far: the ledger's totals of earlier parts, plus this part if it counts. */
  const report = (status: IngestStatus, error?: unknown): IngestReport => {
    const counted = status === 'completed' || status === 'in_progress';
    const durationMs = Date.now() - partStart.getTime();
    const rejectsLocations = [...entry.rejectsLocations, ...(counted && partRejects ? [partRejects] : [])];
    return buildReport(source.source, status, {
      etag: version.etag,
      versionId: version.versionId,
      format,
      compressed,
      parts: counted ? part : entry.parts,
      rowsRead: entry.rowsRead + (counted ? counts.read : 0),
      rowsWritten: entry.rowsWritten + (counted ? sink.written : 0),
      rowsSkipped: entry.rowsSkipped + (counted ? counts.skipped : 0),
      rowsRejected: entry.rowsRejected + (counted ? counts.rejected : 0),
      writeRetries: entry.writeRetries + sink.retries,
      rejectsLocations,
      startedAt: entry.startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      durationMs: (entry.durationMs ?? 0) + durationMs,
      part: {
        number: part,
        startOffset: resumeAt?.offset ?? 0,
        bytesRead: readTo - (resumeAt?.offset ?? 0),
        rowsRead: counts.read,
        rowsWritten: sink.written,
        rowsSkipped: counts.skipped,
        rowsRejected: counts.rejected,
        rowsFailed: sink.failed,
        writeRetries: sink.retries,
        durationMs,
        rejectsLocation: partRejects,
      },
      checkpoint:
        status === 'in_progress' && next
          ? { part: part + 1, offset: next.offset, line: next.line }
          : undefined,
      error: error === undefined ? undefined : message(error),
      failure: error === undefined ? undefined : failureKind(error),
    });
  };

  // Resumed parts read from the checkpoint of the version they started on: plain input from its
  // offset, gzip from the start (inflated and skipped up to the offset).
  const rejects = deps.rejects(part);
  try {
    if (resumeAt) {
      const from = compressed ? 0 : resumeAt.offset;
      if (!opened || from > 0) {
        opened?.body.destroy();
        opened = await source.openAt(version, from);
      }
    } else {
      opened ??= await source.openAt(version, 0);
    }
  } catch (err: unknown) {
    opened?.body.destroy();
    if (err instanceof ObjectChangedError) {
      log.warn('the object changed between parts; its new version is ingested on its own notification', {
        part,
      });
      const superseded = { ...report('superseded', err), failure: undefined };
      await deps.ledger
        .write(ledgerEntryOf(superseded, 'superseded', undefined, undefined), deps.owner)
        .catch((e: unknown) => log.warn('could not record the superseded version', { err: e }));
      return superseded;
    }
    log.error('cannot open object', { err });
    await releaseAfterFailure(deps, entry, err, log);
    return report('failed', new Error(`cannot read the object: ${message(err)}`));
  }
  const body = opened.body;

  const interval = deps.progressIntervalMs ?? 1000;
  let nextProgress = Date.now() + interval;
  // The lease is renewed as the part goes, so a long part (the CLI without a deadline) keeps it.
  let renewAt = Date.now() + deps.leaseMs / 3;
  try {
    const resume: ResumeFrom | undefined =
      resumeAt && format && compressed !== undefined ? { position: resumeAt, format, compressed } : undefined;
    const input = await openRecords(body, source.name, resume);
    format = input.format;
    compressed = input.compressed;
    reading: for await (const batch of input.batches) {
      for (const rec of batch.records) {
        counts.read++;
        if (rec.kind === 'malformed') {
          counts.rejected++;
          await rejects.add(rejectOf(rec, rec.reason));
          continue;
        }
        const verdict = classify(rec.playFields);
        if (verdict.kind === 'skip') {
          counts.skipped++;
          continue;
        }
        if (verdict.kind === 'reject') {
          counts.rejected++;
          await rejects.add(rejectOf(rec, verdict.reason));
          continue;
        }
        // Waiting here, while the sink has all it can take in flight, is what pauses parsing and reading.
        const full = sink.add(verdict.play);
        if (full) await full;
        // A write failed: stop reading; the part is done again from its checkpoint.
        if (sink.error !== undefined) break reading;
      }
      readTo = batch.end.offset;
      const now = Date.now();
      if (deps.onProgress && now >= nextProgress) {
        nextProgress = now + interval;
        deps.onProgress({
          source: source.source,
          rowsRead: entry.rowsRead + counts.read,
          rowsWritten: entry.rowsWritten + sink.written,
          elapsedMs: now - partStart.getTime(),
        });
      }
      if (now >= renewAt) {
        renewAt = now + deps.leaseMs / 3;
        const kept = await deps.ledger.write(
          { ...entry, leaseOwner: deps.owner, leaseUntil: new Date(now + deps.leaseMs) },
          deps.owner,
        );
        if (!kept) throw new Error('lost the claim on this object version to another delivery');
      }
      if (request.stopReadingAt !== undefined && now >= request.stopReadingAt) {
        next = batch.end;
        break;
      }
    }
  } catch (err: unknown) {
    failure ??= err;
  } finally {
    await sink.drain().catch((err: unknown) => {
      failure ??= err;
    });
    body.destroy();
  }
  failure ??= sink.error;

  try {
    partRejects = await rejects.finish();
  } catch (err: unknown) {
    failure ??= new Error(`could not store the rejects: ${message(err)}`);
  }
  if (failure === undefined && counts.read !== sink.written + counts.skipped + counts.rejected) {
    failure = new Error(
      `accounting mismatch: read ${counts.read} != written ${sink.written} + skipped ${counts.skipped} + rejected ${counts.rejected}`,
    );
  }

  if (failure !== undefined) {
    const failed = report('failed', failure);
    log.error('ingest failed', { report: failed, err: failure });
    await releaseAfterFailure(deps, entry, failure, log);
    return failed;
  }
  const status: IngestStatus = next ? 'in_progress' : 'completed';
  const done = report(status);
  try {
    const written = await deps.ledger.write(ledgerEntryOf(done, status, next, undefined), deps.owner);
    if (!written) throw new Error('another delivery took over this object version meanwhile');
  } catch (err: unknown) {
    // Not recorded means not done: a later delivery does this part again (idempotently).
    const failed = {
      ...report('failed', err),
      error: `could not record the outcome in the ledger: ${message(err)}`,
    };
    log.error('ingest failed', { report: failed, err });
    return failed;
  }
  if (status === 'completed') log.info('ingest completed', { report: done });
  else log.info('part done; the next part continues from the checkpoint', { report: done });
  return done;
}

/**
 * A failed part leaves the ledger where the last checkpoint put it (its counts are not added), says
 * why, and lets go of the lease so the retry can claim the version at once.
 */
async function releaseAfterFailure(deps: IngestDeps, entry: LedgerEntry, err: unknown, log: Logger) {
  const failed: LedgerEntry = {
    ...entry,
    status: 'failed',
    error: message(err),
    leaseOwner: undefined,
    leaseUntil: undefined,
  };
  // Earlier parts' checkpoint stays: a retry resumes from it.
  try {
    await deps.ledger.write(failed, deps.owner);
  } catch (e: unknown) {
    // Without a quorum (two of three replicas down, say) the lease cannot be written: say failed
    // on what replicas there are, and let the lease run out by itself.
    log.warn('could not record the failure under the lease; noting it without', { err: e });
    await deps.ledger
      .noteFailure(entry.source, entry.etag, failed.error ?? 'failed')
      .catch((e2: unknown) => log.warn('could not note the failure in the ledger either', { err: e2 }));
  }
}
