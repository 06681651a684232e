// Wires the pipeline to the real services for one object: S3 objects (the Lambda, and the CLI for
// s3:// URLs) keep their rejects in the bucket; local files (the CLI) keep them beside the report.
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Client } from 'cassandra-driver';
import { assertSchema } from '../cassandra/schema';
import type { Config } from '../config';
import type { Logger } from '../log';
import { CassandraBatchSink } from './batch-sink';
import { CassandraLedger } from './ledger';
import { ingestObject } from './pipeline';
import { fileRejects, s3Rejects, s3RejectsKey } from './rejects';
import { reportJson } from './report';
import { fileSource, s3Source } from './sources';
import type { IngestReport, ObjectSource, Progress, RejectSink } from './types';

export interface IngestRuntime {
  cfg: Config;
  client: Client;
  log: Logger;
  onProgress?: (p: Progress) => void;
}

const schemaChecked = new Map<string, Promise<void>>();

/**
 * Checks each keyspace once per process; a failed check is not cached, so a fix is picked up. A
 * keyspace that passed says nothing about another one (tests and backfills switch keyspaces).
 */
export function checkSchemaOnce(client: Client, keyspace: string): Promise<void> {
  let check = schemaChecked.get(keyspace);
  if (!check) {
    check = assertSchema(client, keyspace).catch((err: unknown) => {
      schemaChecked.delete(keyspace);
      throw err;
    });
    schemaChecked.set(keyspace, check);
  }
  return check;
}

async function run(rt: IngestRuntime, source: ObjectSource, rejects: RejectSink): Promise<IngestReport> {
  await checkSchemaOnce(rt.client, rt.cfg.cassandra.keyspace);
  return ingestObject(source, {
    sink: new CassandraBatchSink(rt.client, rt.cfg.cassandra, {
      concurrency: rt.cfg.ingest.concurrency,
      maxRetries: rt.cfg.ingest.maxRetries,
      log: rt.log,
    }),
    ledger: new CassandraLedger(rt.client, rt.cfg.cassandra, rt.cfg.ingest.maxRetries),
    rejects,
    log: rt.log,
    ...(rt.onProgress ? { onProgress: rt.onProgress } : {}),
  });
}

function ignored(source: string, reason: string): IngestReport {
  return {
    source,
    etag: undefined,
    versionId: undefined,
    status: 'ignored',
    format: undefined,
    compressed: undefined,
    rowsRead: 0,
    rowsWritten: 0,
    rowsSkipped: 0,
    rowsRejected: 0,
    rowsFailed: 0,
    writeRetries: 0,
    rejectsLocation: undefined,
    startedAt: new Date().toISOString(),
    durationMs: 0,
    rowsPerSec: 0,
    error: reason,
    previous: undefined,
  };
}

/** reports/<original key>.json in the source bucket: the outcome of the latest delivery. */
export function s3ReportKey(prefix: string, key: string): string {
  return `${prefix}${key}.json`;
}

export async function ingestS3Object(
  rt: IngestRuntime,
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<IngestReport> {
  const { rejectsPrefix, reportsPrefix } = rt.cfg.ingest;
  const own = [rejectsPrefix, reportsPrefix].find((p) => key.startsWith(p));
  if (own) {
    // The ingest writes its rejects and reports into the same bucket; ingesting them would loop.
    rt.log.info('ignoring an object under the ingest output prefixes', { bucket, key, prefix: own });
    return ignored(`s3://${bucket}/${key}`, `under the ingest output prefix ${own}`);
  }
  const report = await run(
    rt,
    s3Source(s3, bucket, key),
    s3Rejects(s3, bucket, s3RejectsKey(rejectsPrefix, key)),
  );
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
    rt.log.warn('could not store the report object', { bucket, key, err });
  }
  return report;
}

/**
 * A local file, its rejects kept at rejectsPath (the CLI names it with lib/ingest/outputs.ts, so
 * that no other input of the run shares it: a file without rejects removes a stale rejects file
 * at its own path, which must never be another file's).
 */
export function ingestFile(rt: IngestRuntime, path: string, rejectsPath: string): Promise<IngestReport> {
  return run(rt, fileSource(path), fileRejects(rejectsPath));
}
