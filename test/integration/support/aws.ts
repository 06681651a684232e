// S3 and SQS clients for the local emulator (path-style S3, the LocalStack endpoint), and
// throwaway bucket/queue names per test file.
import { randomBytes } from 'node:crypto';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { IngestReport } from '../../../lib/ingest/report';
import { s3ReportKey } from '../../../lib/ingest/service';

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

/** The report the ingest stored for key, as users read it (reports/<key>.json in the bucket). */
export async function readReport(s3: S3Client, bucket: string, key: string): Promise<IngestReport> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: s3ReportKey('reports/', key) }));
  return JSON.parse((await res.Body?.transformToString('utf8')) ?? '{}') as IngestReport;
}
