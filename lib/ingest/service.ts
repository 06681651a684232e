// Wires one delivery of one object to its services: S3 objects (the Lambda, and the CLI for s3://
// URLs) keep their rejects and report in the outputs bucket, under keys that name the object
// version (and, for rejects, the delivery), so that no version or retry ever writes over
// another's; local files (the CLI) keep their rejects beside the report the CLI writes. Also where
// a part's time is set: how long it may read before it checkpoints, and when its writes stop
// retrying. ingestS3Version takes its services as ports, so the simulator (test/sim/) runs it as
// deployed against simulated ones; ingestS3Object wires the real ones.
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Client } from 'cassandra-driver';
import { assertSchemaOnce } from '../cassandra/schema';
import { type Clock, systemClock } from '../clock';
import type { Config } from '../config';
import type { Logger } from '../log';
import { CassandraBatchSink } from './batch-sink';
import { CassandraLedgerStore, Ledger } from './ledger';
import type { ContinuationRef, ContinuedMark } from './notifications';
import { CassandraOpenIngests, type OpenIngests } from './open-ingests';
import { type OutputStore, s3OutputStore } from './output-store';
import { ingestObject } from './pipeline';
import { fileRejectStore, outputRejectStore, partRejectsName } from './reject-store';
import { buildReport, type IngestReport, reportJson } from './report';
import { fileSource, s3OutputRange, s3Source } from './sources';
import { outputSplitTexts } from './split-texts';
import type { SplitPorts } from './split-version';
import type { ObjectSource, ObjectVersion, PlaySink, Progress } from './types';
import { s3RejectsKey, s3ReportKey, s3SplitTextKey } from './version-outputs';

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
  cfg: Pick<Config['ingest'], 'deadlineMs' | 'deadlineMarginMs'>,
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

/** An S3 object as a delivery names it. */
export interface S3ObjectRef {
  bucket: string;
  key: string;
  /**
   * The version the notification names: its delivery ingests that version and no other (if it was
   * overwritten meanwhile, it is superseded; the newer version has its own notification). Absent
   * (the CLI): the object as it is now.
   */
  etag?: string;
  versionId?: string;
  continuation?: ContinuationRef;
  /** The message's last delivery (the queue's receive count reached its limit). */
  lastDelivery?: boolean;
}

/** The services one delivery of an S3 object uses. */
export interface S3IngestPorts {
  source: ObjectSource;
  outputs: OutputStore;
  /** The ledger and a new sink for the part, whose retries stop at giveUpAt (the end of its time). */
  ledger(giveUpAt: number | undefined): Ledger;
  sink(giveUpAt: number | undefined): PlaySink;
  open: OpenIngests | undefined;
  clock: Clock;
  log: Logger;
  /** Who this delivery is. */
  owner: string;
  onProgress?: (p: Progress) => void;
  /** A range of an object the ingest wrote to its outputs (a split's text). */
  readOutput(key: string, offset: number, end: number): Promise<Readable>;
}

export type S3IngestSettings = Pick<
  Config['ingest'],
  | 'leaseMs'
  | 'rejectsPrefix'
  | 'reportsPrefix'
  | 'deadlineMs'
  | 'deadlineMarginMs'
  | 'outputBucket'
  | 'splitBytes'
> & {
  /** Rejects held before they are written out (REJECTS_CHUNK_BYTES unless given: the simulator's are tiny). */
  rejectsChunkBytes?: number;
};

export async function ingestS3Version(
  ports: S3IngestPorts,
  settings: S3IngestSettings,
  object: S3ObjectRef,
  time: PartTime,
): Promise<IngestReport> {
  const { bucket, key } = object;
  const { rejectsPrefix, reportsPrefix } = settings;
  const outputsHere = (settings.outputBucket ?? bucket) === bucket;
  const own = outputsHere ? [rejectsPrefix, reportsPrefix].find((p) => key.startsWith(p)) : undefined;
  if (own) {
    // Outputs written into the source bucket itself (the CLI's default): ingesting them would loop.
    ports.log.info('ignoring an object under the ingest output prefixes', { bucket, key, prefix: own });
    return buildReport(`s3://${bucket}/${key}`, 'ignored', {
      error: `under the ingest output prefix ${own}`,
    });
  }
  const { stopReadingAt, giveUpAt } = partDeadlines(settings, { startedAt: ports.clock.now(), ...time });
  // A notification names its version as a continuation does, as its part 1.
  const pinned =
    object.continuation ??
    (object.etag ? { etag: object.etag, versionId: object.versionId, part: 1 } : undefined);
  const rejects = (version: ObjectVersion, part: number) =>
    outputRejectStore(
      ports.outputs,
      s3RejectsKey(rejectsPrefix, key, version.etag, part, ports.owner),
      settings.rejectsChunkBytes,
    );
  return ingestObject(
    ports.source,
    {
      sink: ports.sink(giveUpAt),
      ledger: ports.ledger(giveUpAt),
      open: ports.open,
      rejects,
      log: ports.log,
      owner: ports.owner,
      leaseMs: settings.leaseMs,
      clock: ports.clock,
      // Stored when the version ends (lib/ingest/lifecycle.ts, reportEndsVersion), under its own key.
      reports: {
        store: (report) =>
          ports.outputs.put(
            s3ReportKey(reportsPrefix, key, report.etag ?? object.etag ?? 'unknown'),
            `${reportJson(report, 2)}\n`,
            'application/json',
          ),
      },
      ...(ports.onProgress ? { onProgress: ports.onProgress } : {}),
      ...(settings.splitBytes ? { splits: splitPorts(ports, key, settings.splitBytes) } : {}),
    },
    {
      ...(pinned ? { continuation: pinned } : {}),
      ...(stopReadingAt ? { stopReadingAt } : {}),
      lastDelivery: object.lastDelivery === true,
    },
  );
}

/** Splits of an S3 object: a gzip version's texts under keys of that version in the outputs. */
function splitPorts(ports: S3IngestPorts, key: string, bytes: number): SplitPorts {
  const textKey = (version: ObjectVersion, split: number) => s3SplitTextKey(key, version.etag, split);
  return {
    bytes,
    texts: (version) => outputSplitTexts(ports.outputs, (index) => textKey(version, index + 1)),
    readText: (version, split, offset, end) => ports.readOutput(textKey(version, split), offset, end),
    removeTexts: (version, splits) =>
      ports.outputs.remove(Array.from({ length: splits }, (_, i) => textKey(version, i + 1))),
  };
}

/** The real services of one delivery: S3, the Cassandra ledger, index and sink, the system clock. */
export async function ingestS3Object(
  ctx: IngestContext,
  s3: S3Client,
  object: S3ObjectRef,
  time: PartTime = {},
): Promise<IngestReport> {
  const { cfg, client, log } = ctx;
  await assertSchemaOnce(client, cfg.cassandra.keyspace);
  const source = s3Source(s3, object.bucket, object.key, {
    stallMs: cfg.ingest.readStallMs,
    onResume: (offset, err) =>
      log.warn('download cut off or stalled; resuming with a ranged GET', {
        bucket: object.bucket,
        key: object.key,
        offset,
        err,
      }),
  });
  const outputBucket = cfg.ingest.outputBucket ?? object.bucket;
  const ports: S3IngestPorts = {
    source,
    readOutput: (key, offset, end) =>
      s3OutputRange(s3, outputBucket, key, { stallMs: cfg.ingest.readStallMs }, offset, end),
    outputs: s3OutputStore(s3, outputBucket),
    ledger: (giveUpAt) => cassandraLedger(ctx, giveUpAt),
    open: new CassandraOpenIngests(client, cfg.cassandra),
    sink: (giveUpAt) => cassandraSink(ctx, giveUpAt),
    clock: systemClock,
    log,
    owner: randomUUID(),
    ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}),
  };
  return ingestS3Version(ports, cfg.ingest, object, time);
}

/**
 * Records in the ledger that the continuation of a part was sent (lib/ingest/notifications.ts): a
 * best effort within the invocation's time (giveUpAt), never past it.
 */
export async function markContinued(
  ctx: IngestContext,
  mark: ContinuedMark,
  giveUpAt: number | undefined,
): Promise<void> {
  await cassandraLedger(ctx, giveUpAt).markContinued(mark.source, mark.etag, mark.part, mark.revision);
}

function cassandraLedger(ctx: IngestContext, giveUpAt: number | undefined): Ledger {
  const retry = { budgetMs: ctx.cfg.ingest.retryBudgetMs, ...(giveUpAt ? { giveUpAt } : {}) };
  return new Ledger(new CassandraLedgerStore(ctx.client, ctx.cfg.cassandra), { retry });
}

function cassandraSink(ctx: IngestContext, giveUpAt: number | undefined): CassandraBatchSink {
  const { ingest } = ctx.cfg;
  return new CassandraBatchSink(ctx.client, ctx.cfg.cassandra, {
    concurrency: ingest.concurrency,
    ...(ingest.maxWritesPerSecond ? { maxWritesPerSecond: ingest.maxWritesPerSecond } : {}),
    retry: { budgetMs: ingest.retryBudgetMs, ...(giveUpAt ? { giveUpAt } : {}) },
    log: ctx.log,
  });
}

/**
 * A local file, one part (the whole of it, unless INGEST_DEADLINE_MS is set); its rejects kept at
 * rejectsBase.jsonl (later parts .part-0002.jsonl, …). The CLI names the base with
 * lib/ingest/outputs.ts, so that no other input of the run shares it: a part without rejects
 * removes a stale rejects file at its own path, which must never be another file's. The CLI has
 * one delivery of each part: a transient failure ends the version as failed.
 */
export async function ingestFilePart(
  ctx: IngestContext,
  path: string,
  rejectsBase: string,
  continuation?: ContinuationRef,
): Promise<IngestReport> {
  await assertSchemaOnce(ctx.client, ctx.cfg.cassandra.keyspace);
  const { stopReadingAt, giveUpAt } = partDeadlines(ctx.cfg.ingest, {});
  return ingestObject(
    fileSource(path),
    {
      sink: cassandraSink(ctx, giveUpAt),
      ledger: cassandraLedger(ctx, giveUpAt),
      rejects: (_version, part) => fileRejectStore(partRejectsName(rejectsBase, part)),
      log: ctx.log,
      owner: randomUUID(),
      leaseMs: ctx.cfg.ingest.leaseMs,
      ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}),
    },
    {
      ...(continuation ? { continuation } : {}),
      ...(stopReadingAt ? { stopReadingAt } : {}),
      lastDelivery: true,
    },
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
