// S3 and SQS clients for the local emulator (path-style S3, the LocalStack endpoint), and
// throwaway bucket/queue names per test file.
import { randomBytes } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { IngestReport } from '../../../lib/ingest/report';
import { versionReports } from '../../../scripts/local/flow';

const endpoint = () => process.env.AWS_ENDPOINT_URL ?? 'http://127.0.0.1:4566';

export function s3Client(): S3Client {
  return new S3Client({ endpoint: endpoint(), forcePathStyle: true, region: process.env.AWS_REGION });
}

export function sqsClient(): SQSClient {
  return new SQSClient({ endpoint: endpoint(), region: process.env.AWS_REGION });
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/** The report the ingest stored for the newest ended version of key (reports/<key>/<etag>.json in the bucket). */
export async function readReport(s3: S3Client, bucket: string, key: string): Promise<IngestReport> {
  const [newest] = await versionReports(s3, bucket, key);
  if (!newest) throw new Error(`no report of s3://${bucket}/${key}: no version of it has ended`);
  return newest;
}
