// The whole local event flow: LocalStack bucket → ObjectCreated → SQS → forwarder → the ingest
// function under serverless offline, plus the HTTP API. Used by the demo and the end-to-end tests.

import { LambdaClient } from '@aws-sdk/client-lambda';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { type StackNames, stackNames } from '../../lib/infra/names';
import type { IngestReport } from '../../lib/ingest/report';
import type { Logger } from '../../lib/log';
import { bootstrapLocalFlow, type LocalFlow } from './bootstrap';
import { type Forwarder, startForwarder } from './forwarder';
import { type Offline, type OfflineOptions, startOffline } from './offline';

/** serverless.yml's default stage is `local`; offline serves the functions under these names. */
const LOCAL_INGEST_FUNCTION = 'tracklog-local-ingest';
export const LOCAL_NAMES: StackNames = stackNames('tracklog', 'local');

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

export interface RunningFlow {
  flow: LocalFlow;
  readonly offline: Offline;
  /**
   * Ends serverless offline (SIGKILL to its process group, as Lambda ends an invocation at its time
   * limit, or a clean stop) and starts it again on the same ports; messages it was working on come
   * back from the queue.
   */
  restartOffline(how: 'kill' | 'stop'): Promise<void>;
  forwarder: Forwarder;
  s3: S3Client;
  sqs: SQSClient;
  stop(): Promise<void>;
}

export interface FlowOptions {
  awsEndpoint: string;
  region: string;
  keyspace: string;
  names?: StackNames;
  log: Logger;
  offline?: Omit<OfflineOptions, 'env'>;
  concurrency?: number;
  /** Ingest settings for the function (INGEST_DEADLINE_MS, INGEST_LEASE_MS, …), e.g. short parts in tests. */
  ingestEnv?: Record<string, string>;
}

export async function startLocalFlow(opts: FlowOptions): Promise<RunningFlow> {
  const s3 = new S3Client({
    endpoint: opts.awsEndpoint,
    region: opts.region,
    forcePathStyle: true,
    credentials,
  });
  const sqs = new SQSClient({ endpoint: opts.awsEndpoint, region: opts.region, credentials });
  const flow = await bootstrapLocalFlow(s3, sqs, opts.names ?? LOCAL_NAMES);
  const offlineOptions: OfflineOptions = {
    ...opts.offline,
    env: {
      CASSANDRA_KEYSPACE: opts.keyspace,
      AWS_ENDPOINT_URL: opts.awsEndpoint,
      AWS_REGION: opts.region,
      // LocalStack takes any credentials; the functions' SDK clients need some to sign with.
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? credentials.secretAccessKey,
      // The ingest sends continuations and retries to this flow's queues (serverless.yml, local stage).
      INGEST_OUTPUT_BUCKET: flow.outputs,
      INGEST_QUEUE_URL: flow.queueUrl,
      INGEST_DEAD_LETTER_QUEUE_URL: flow.deadLetterQueueUrl,
      ...opts.ingestEnv,
    },
  };
  let offline = await startOffline(offlineOptions);
  const lambda = new LambdaClient({ endpoint: offline.lambdaUrl, region: opts.region, credentials });
  const forwarder = startForwarder({
    sqs,
    lambda,
    queueUrl: flow.queueUrl,
    queueArn: flow.queueArn,
    functionName: LOCAL_INGEST_FUNCTION,
    concurrency: opts.concurrency ?? 4,
    log: opts.log,
  });
  return {
    flow,
    get offline() {
      return offline;
    },
    async restartOffline(how: 'kill' | 'stop') {
      // The same ports again: the forwarder's client and the test's URLs stay valid.
      const ports = {
        httpPort: Number(new URL(offline.baseUrl).port),
        lambdaPort: Number(new URL(offline.lambdaUrl).port),
      };
      if (how === 'kill') await offline.kill();
      else await offline.stop();
      offline = await startOffline({ ...offlineOptions, ...ports });
    },
    forwarder,
    s3,
    sqs,
    async stop() {
      // Polling stops first, then offline goes, which ends an ingest still running (Ctrl-C while the
      // demo waits for reports) instead of waiting for it; its message is retried later.
      const forwarderStopped = forwarder.stop();
      await offline.stop();
      await forwarderStopped;
      lambda.destroy();
      s3.destroy();
      sqs.destroy();
    },
  };
}

/**
 * The reports the ingest stored for the versions of `key` (reports/<key>/<etag>.json, one per
 * version that ended), newest first. The delimiter keeps other objects' reports out: those of a
 * key `<key>/more.csv` sit one folder deeper.
 */
export async function versionReports(
  s3: S3Client,
  /** The output bucket (the flow's `outputs`), where the ingest writes its reports. */
  bucket: string,
  key: string,
  reportsPrefix = 'reports/',
): Promise<IngestReport[]> {
  const listed = await s3.send(
    new ListObjectsV2Command({ Bucket: bucket, Prefix: `${reportsPrefix}${key}/`, Delimiter: '/' }),
  );
  const reports = await Promise.all(
    (listed.Contents ?? [])
      .filter((o) => o.Key?.endsWith('.json'))
      .map(async (o) => {
        const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key }));
        return JSON.parse((await res.Body?.transformToString('utf8')) ?? '{}') as IngestReport;
      }),
  );
  return reports.sort(
    (a, b) => Date.parse(b.finishedAt ?? b.startedAt) - Date.parse(a.finishedAt ?? a.startedAt),
  );
}

/** The newest report the ingest stored for a version of key that `accept` likes; throws after timeoutMs. */
export async function waitForReport(
  s3: S3Client,
  bucket: string,
  key: string,
  accept: (report: IngestReport) => boolean,
  timeoutMs = 120_000,
  reportsPrefix = 'reports/',
): Promise<IngestReport> {
  const deadline = Date.now() + timeoutMs;
  let seen: IngestReport[] = [];
  while (Date.now() < deadline) {
    seen = await versionReports(s3, bucket, key, reportsPrefix);
    const accepted = seen.find(accept);
    if (accepted) return accepted;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `no accepted ingest report for s3://${bucket}/${key} within ${timeoutMs} ms (seen: ${seen.map((r) => `${r.etag} ${r.status}`).join(', ') || 'none'})`,
  );
}
