// The report the ingest stored for an object (reports/<key>.json in the output bucket, which is the
// source bucket unless INGEST_OUTPUT_BUCKET names another): what a runner prints as its outcome.
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../../lib/config';
import type { IngestReport } from '../../lib/ingest/report';
import { s3ReportKey } from '../../lib/ingest/service';

export async function storedReport(
  s3: S3Client,
  cfg: Config,
  bucket: string,
  key: string,
): Promise<IngestReport> {
  const res = await s3.send(
    new GetObjectCommand({
      Bucket: cfg.ingest.outputBucket ?? bucket,
      Key: s3ReportKey(cfg.ingest.reportsPrefix, key),
    }),
  );
  return JSON.parse((await res.Body?.transformToString('utf8')) ?? '{}') as IngestReport;
}
