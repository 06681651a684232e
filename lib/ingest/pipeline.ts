// The streaming ingest of one object: read → parse → classify → write, with a bounded number of
// plays in flight. Every record read is accounted for as written, skipped (not a play) or rejected
// (kept with its reason); the outcome is a report, recorded in the ledger. Input problems and
// write failures make a `failed` report, never an exception that loses it.
import { classify } from '../events/classify';
import { clipRaw, type ParsedRecord } from '../events/event';
import type { Format } from '../events/formats';
import { openRecords } from '../events/input';
import type { Logger } from '../log';
import { buildReport, type IngestReport, type IngestStatus, ledgerEntryOf, outcomeOf } from './report';
import type { Ledger, ObjectSource, PlaySink, Progress, Reject, RejectStore } from './types';

export interface IngestDeps {
  /** One per object: its counts are the report's. */
  sink: PlaySink;
  ledger: Ledger;
  rejects: RejectStore;
  log: Logger;
  onProgress?: (p: Progress) => void;
  progressIntervalMs?: number;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A reject as stored: the record's original text clipped (a runaway record can be megabytes). */
function rejectOf(rec: ParsedRecord, reason: string): Reject {
  return { line: rec.line, reason, record: rec.fields, raw: clipRaw(rec.raw) };
}

export async function ingestObject(source: ObjectSource, deps: IngestDeps): Promise<IngestReport> {
  const startedAt = new Date();
  const counts = { read: 0, skipped: 0, rejected: 0 };
  const { sink } = deps;
  const log = deps.log.child({ source: source.source });
  let format: Format | undefined;
  let compressed: boolean | undefined;
  let etag: string | undefined;
  let versionId: string | undefined;
  let rejectsLocation: string | undefined;

  const report = (status: IngestStatus, error?: string): IngestReport =>
    buildReport(source.source, status, startedAt, {
      etag,
      versionId,
      format,
      compressed,
      rowsRead: counts.read,
      rowsWritten: sink.written,
      rowsSkipped: counts.skipped,
      rowsRejected: counts.rejected,
      rowsFailed: sink.failed,
      writeRetries: sink.retries,
      rejectsLocation,
      error,
    });

  let opened: Awaited<ReturnType<ObjectSource['open']>>;
  try {
    opened = await source.open();
  } catch (err: unknown) {
    log.error('cannot open object', { err });
    return report('failed', `cannot read the object: ${message(err)}`);
  }
  etag = opened.etag;
  versionId = opened.versionId;

  try {
    const prior = await deps.ledger.find(source.source, etag);
    if (prior?.status === 'completed') {
      // This delivery reads and writes nothing: its counts stay 0 (read = written + skipped +
      // rejected holds), and what the earlier ingest did is carried apart, never as new work.
      opened.body.destroy();
      const previous = outcomeOf(prior);
      log.info('already ingested: this object version completed before, nothing written', { etag, previous });
      return buildReport(source.source, 'duplicate', startedAt, { etag, versionId, previous });
    }
    await deps.ledger.record(ledgerEntryOf(report('completed'), 'running'));
  } catch (err: unknown) {
    opened.body.destroy();
    log.error('ingest ledger unavailable', { err });
    return report('failed', `ingest ledger unavailable: ${message(err)}`);
  }

  let failure: unknown;
  const interval = deps.progressIntervalMs ?? 1000;
  let nextProgress = Date.now() + interval;
  try {
    const input = await openRecords(opened.body, source.name);
    format = input.format;
    compressed = input.compressed;
    reading: for await (const batch of input.batches) {
      for (const rec of batch.records) {
        counts.read++;
        if (rec.kind === 'malformed') {
          counts.rejected++;
          await deps.rejects.add(rejectOf(rec, rec.reason));
          continue;
        }
        const verdict = classify(rec.fields);
        if (verdict.kind === 'skip') {
          counts.skipped++;
          continue;
        }
        if (verdict.kind === 'reject') {
          counts.rejected++;
          await deps.rejects.add(rejectOf(rec, verdict.reason));
          continue;
        }
        // Waiting here, while the sink has all it can take in flight, is what pauses parsing and reading.
        const full = sink.add(verdict.play);
        if (full) await full;
        // A write failed: stop reading; the object will be ingested again as a whole.
        if (sink.error !== undefined) break reading;
      }
      if (deps.onProgress && Date.now() >= nextProgress) {
        nextProgress = Date.now() + interval;
        deps.onProgress({
          source: source.source,
          rowsRead: counts.read,
          rowsWritten: sink.written,
          elapsedMs: Date.now() - startedAt.getTime(),
        });
      }
    }
  } catch (err: unknown) {
    failure ??= err;
  } finally {
    await sink.drain().catch((err: unknown) => {
      failure ??= err;
    });
    opened.body.destroy();
  }
  failure ??= sink.error;

  try {
    rejectsLocation = await deps.rejects.finish();
  } catch (err: unknown) {
    failure ??= new Error(`could not store the rejects: ${message(err)}`);
  }

  let final: IngestReport;
  if (failure !== undefined) {
    final = report('failed', message(failure));
  } else if (counts.read !== sink.written + counts.skipped + counts.rejected) {
    final = report(
      'failed',
      `accounting mismatch: read ${counts.read} != written ${sink.written} + skipped ${counts.skipped} + rejected ${counts.rejected}`,
    );
  } else {
    final = report('completed');
  }
  try {
    await deps.ledger.record(ledgerEntryOf(final, final.status === 'completed' ? 'completed' : 'failed'));
  } catch (err: unknown) {
    // Not recorded as done means not done: the object will be ingested again (idempotently).
    final = {
      ...final,
      status: 'failed',
      error: `could not record the outcome in the ledger: ${message(err)}`,
    };
  }
  if (final.status === 'completed') log.info('ingest completed', { report: final });
  else log.error('ingest failed', { report: final, err: failure });
  return final;
}
