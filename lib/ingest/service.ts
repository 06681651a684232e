// Wires the pipeline to the real services for one object: S3 objects (the Lambda, and the CLI for
// s3:// URLs) keep their rejects and report in the bucket; local files (the CLI) keep their rejects
// beside the report the CLI writes.
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Client } from 'cassandra-driver';
import { assertSchemaOnce } from '../cassandra/schema';
import type { Config } from '../config';
import type { Logger } from '../log';
import { CassandraBatchSink } from './batch-sink';
import { CassandraLedger } from './ledger';
import { ingestObject } from './pipeline';
import { fileRejectStore, s3RejectStore, s3RejectsKey } from './reject-store';
import { buildReport, type IngestReport, reportJson } from './report';
import { fileSource, s3Source } from './sources';
import type { ObjectSource, Progress, RejectStore } from './types';

/** What one ingest works with: the validated config, the connected client, a logger. */
export interface IngestContext {
  cfg: Config;
  client: Client;
  log: Logger;
  onProgress?: (p: Progress) => void;
}

async function run(ctx: IngestContext, source: ObjectSource, rejects: RejectStore): Promise<IngestReport> {
  await assertSchemaOnce(ctx.client, ctx.cfg.cassandra.keyspace);
  return ingestObject(source, {
    sink: new CassandraBatchSink(ctx.client, ctx.cfg.cassandra, {
      concurrency: ctx.cfg.ingest.concurrency,
      maxRetries: ctx.cfg.ingest.maxRetries,
      log: ctx.log,
    }),
    ledger: new CassandraLedger(ctx.client, ctx.cfg.cassandra, ctx.cfg.ingest.maxRetries),
    rejects,
    log: ctx.log,
    ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}),
  });
}

/** reports/<original key>.json in the source bucket: the outcome of the latest delivery. */
export function s3ReportKey(prefix: string, key: string): string {
  return `${prefix}${key}.json`;
}

export async function ingestS3Object(
  ctx: IngestContext,
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<IngestReport> {
  const { rejectsPrefix, reportsPrefix } = ctx.cfg.ingest;
  const own = [rejectsPrefix, reportsPrefix].find((p) => key.startsWith(p));
  if (own) {
    // The ingest writes its rejects and reports into the same bucket; ingesting them would loop.
    ctx.log.info('ignoring an object under the ingest output prefixes', { bucket, key, prefix: own });
    return buildReport(`s3://${bucket}/${key}`, 'ignored', new Date(), {
      error: `under the ingest output prefix ${own}`,
    });
  }
  const source = s3Source(s3, bucket, key, (offset, err) =>
    ctx.log.warn('download cut off; resuming with a ranged GET', { bucket, key, offset, err }),
  );
  const report = await run(ctx, source, s3RejectStore(s3, bucket, s3RejectsKey(rejectsPrefix, key)));
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: s3ReportKey(reportsPrefix, key),
        Body: `${reportJson(report, 2)}\n`,
        ContentType: 'application/json',
      }),
    );
  } catch (err: unknown) {
    // The ledger holds the outcome; a missing report object is logged, not a reason to redo the work.
    ctx.log.warn('could not store the report object', { bucket, key, err });
  }
  return report;
}

/**
 * A local file, its rejects kept at rejectsPath (the CLI names it with lib/ingest/outputs.ts, so
 * that no other input of the run shares it: a file without rejects removes a stale rejects file
 * at its own path, which must never be another file's).
 */
export function ingestFile(ctx: IngestContext, path: string, rejectsPath: string): Promise<IngestReport> {
  return run(ctx, fileSource(path), fileRejectStore(rejectsPath));
}
