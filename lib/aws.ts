// AWS clients built from the config (LocalStack endpoint and path-style S3 when configured),
// created once per process and reused across Lambda invocations.
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { AwsConfig } from './config';

export function createS3(cfg: AwsConfig): S3Client {
  return new S3Client({
    region: cfg.region,
    forcePathStyle: cfg.s3ForcePathStyle,
    ...(cfg.endpoint ? { endpoint: cfg.endpoint } : {}),
  });
}

let shared: S3Client | undefined;

export function sharedS3(cfg: AwsConfig): S3Client {
  shared ??= createS3(cfg);
  return shared;
}

let sharedQueue: SQSClient | undefined;

/** The SQS client of the ingest's continuations and retries. */
export function sharedSqs(cfg: AwsConfig): SQSClient {
  sharedQueue ??= new SQSClient({ region: cfg.region, ...(cfg.endpoint ? { endpoint: cfg.endpoint } : {}) });
  return sharedQueue;
}

/** For CLIs and tests that end: closes the shared clients' sockets if they were made. */
export function closeSharedS3(): void {
  shared?.destroy();
  shared = undefined;
  sharedQueue?.destroy();
  sharedQueue = undefined;
}
