// Wires the pipeline to the real services for one delivery of one object: S3 objects (the Lambda,
// and the CLI for s3:// URLs) keep their rejects and report in the bucket; local files (the CLI)
// keep their rejects beside the report the CLI writes. Also where a part's time is set: how long it
// may read before it checkpoints, and when its writes stop retrying.
import { randomUUID } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Client } from 'cassandra-driver';
import { assertSchemaOnce } from '../cassandra/schema';
import type { Config } from '../config';
import type { Logger } from '../log';
import { CassandraBatchSink } from './batch-sink';
import { CassandraLedger } from './ledger';
import type { ContinuationRef } from './notifications';
import { ingestObject } from './pipeline';
import { fileRejectStore, partRejectsName, s3RejectStore, s3RejectsKey } from './reject-store';
import { buildReport, type IngestReport, reportJson } from './report';
import { fileSource, s3Source } from './sources';
import type { ObjectSource, Progress, RejectStore } from './types';

/** What one delivery works with: the validated config, the connected client, a logger. */
export interface IngestContext {
  cfg: Config;
  client: Client;
  log: Logger;
  onProgress?: (p: Progress) => void;
}

/** When a part must be done: the Lambda's remaining time, INGEST_DEADLINE_MS, both or neither. */
export interface PartTime {
  /** Milliseconds the invocation has left (Lambda's getRemainingTimeInMillis()); none for the CLI. */
  remainingMs?: number;
  /** When the part started (epoch ms); now unless given. */
  startedAt?: number;
}

/**
 * Reading stops at INGEST_DEADLINE_MARGIN_MS before the part's end (at most half its time, for a
 * short INGEST_DEADLINE_MS), leaving that margin to drain the writes and record the checkpoint;
 * writes stop retrying at the end itself, so a part never runs into Lambda's hard timeout.
 */
export function partDeadlines(
  cfg: Config['ingest'],
  time: PartTime,
): { stopReadingAt?: number; giveUpAt?: number } {
  const start = time.startedAt ?? Date.now();
  const allowed = Math.min(
    time.remainingMs ?? Number.POSITIVE_INFINITY,
    cfg.deadlineMs ?? Number.POSITIVE_INFINITY,
  );
  if (!Number.isFinite(allowed)) return {};
  const margin = Math.min(cfg.deadlineMarginMs, allowed / 2);
  return { stopReadingAt: start + allowed - margin, giveUpAt: start + allowed };
}

async function run(
  ctx: IngestContext,
  source: ObjectSource,
  rejects: (part: number) => RejectStore,
  continuation: ContinuationRef | undefined,
  time: PartTime,
): Promise<IngestReport> {
  await assertSchemaOnce(ctx.client, ctx.cfg.cassandra.keyspace);
  const { stopReadingAt, giveUpAt } = partDeadlines(ctx.cfg.ingest, time);
  const retry = { budgetMs: ctx.cfg.ingest.retryBudgetMs, ...(giveUpAt ? { giveUpAt } : {}) };
  return ingestObject(
    source,
    {
      sink: new CassandraBatchSink(ctx.client, ctx.cfg.cassandra, {
        concurrency: ctx.cfg.ingest.concurrency,
        ...(ctx.cfg.ingest.maxWritesPerSecond
          ? { maxWritesPerSecond: ctx.cfg.ingest.maxWritesPerSecond }
          : {}),
        retry,
        log: ctx.log,
      }),
      ledger: new CassandraLedger(ctx.client, ctx.cfg.cassandra, retry),
      rejects,
      log: ctx.log,
      owner: randomUUID(),
      leaseMs: ctx.cfg.ingest.leaseMs,
      ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}),
    },
    { ...(continuation ? { continuation } : {}), ...(stopReadingAt ? { stopReadingAt } : {}) },
  );
}

/** reports/<original key>.json in the output bucket: the outcome so far of the latest delivery. */
export function s3ReportKey(prefix: string, key: string): string {
  return `${prefix}${key}.json`;
}

/** The report object shows the object's own progress; a delivery that found it busy elsewhere says nothing new. */
const worthStoring = (report: IngestReport) =>
  !(report.status === 'in_progress' && report.checkpoint === undefined) && report.status !== 'ignored';

export async function ingestS3Object(
  ctx: IngestContext,
  s3: S3Client,
  object: { bucket: string; key: string; continuation?: ContinuationRef },
  time: PartTime = {},
): Promise<IngestReport> {
  const { bucket, key } = object;
  const { rejectsPrefix, reportsPrefix, readStallMs } = ctx.cfg.ingest;
  const outputs = ctx.cfg.ingest.outputBucket ?? bucket;
  const own = outputs === bucket ? [rejectsPrefix, reportsPrefix].find((p) => key.startsWith(p)) : undefined;
  if (own) {
    // Outputs written into the source bucket itself (the CLI's default): ingesting them would loop.
    ctx.log.info('ignoring an object under the ingest output prefixes', { bucket, key, prefix: own });
    return buildReport(`s3://${bucket}/${key}`, 'ignored', {
      error: `under the ingest output prefix ${own}`,
    });
  }
  const source = s3Source(s3, bucket, key, {
    stallMs: readStallMs,
    onResume: (offset, err) =>
      ctx.log.warn('download cut off or stalled; resuming with a ranged GET', { bucket, key, offset, err }),
  });
  const rejects = (part: number) => s3RejectStore(s3, outputs, s3RejectsKey(rejectsPrefix, key, part));
  const report = await run(ctx, source, rejects, object.continuation, time);
  if (worthStoring(report)) {
    try {
      await s3.send(
        new PutObjectCommand({
          Bucket: outputs,
          Key: s3ReportKey(reportsPrefix, key),
          Body: `${reportJson(report, 2)}\n`,
          ContentType: 'application/json',
        }),
      );
    } catch (err: unknown) {
      // The ledger holds the outcome; a missing report object is logged, not a reason to redo the work.
      ctx.log.warn('could not store the report object', { bucket, key, err });
    }
  }
  return report;
}

/**
 * A local file, one part (the whole of it, unless INGEST_DEADLINE_MS is set); its rejects kept at
 * rejectsBase.jsonl (later parts .part-0002.jsonl, …). The CLI names the base with
 * lib/ingest/outputs.ts, so that no other input of the run shares it: a part without rejects
 * removes a stale rejects file at its own path, which must never be another file's.
 */
export function ingestFilePart(
  ctx: IngestContext,
  path: string,
  rejectsBase: string,
  continuation?: ContinuationRef,
): Promise<IngestReport> {
  return run(
    ctx,
    fileSource(path),
    (part) => fileRejectStore(partRejectsName(rejectsBase, part)),
    continuation,
    {},
  );
}

/**
 * One part after another until the object is done: what the CLI does where the Lambda sends
 * continuations through the queue. A claim held by another delivery is waited out (polling), up
 * to maxWaitMs; a part that failed ends it.
 */
export async function ingestAllParts(
  part: (continuation?: ContinuationRef) => Promise<IngestReport>,
  opts: { maxWaitMs: number; log: Logger; sleep?: (ms: number) => Promise<unknown> },
): Promise<IngestReport> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const waitUntil = Date.now() + opts.maxWaitMs;
  let continuation: ContinuationRef | undefined;
  for (;;) {
    const report = await part(continuation);
    if (report.status !== 'in_progress') return report;
    if (report.checkpoint) {
      continuation = { etag: report.etag ?? '', versionId: report.versionId, part: report.checkpoint.part };
      continue;
    }
    if (Date.now() >= waitUntil) return report;
    opts.log.warn('another delivery is ingesting this object; waiting for it', { source: report.source });
    await sleep(Math.min(5000, (report.retryAfterSeconds ?? 5) * 1000));
  }
}
