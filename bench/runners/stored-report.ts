// The report the ingest stored for the newest ended version of an object (reports/<key>/<etag>.json
// in the output bucket, which is the source bucket unless INGEST_OUTPUT_BUCKET names another): what
// a runner prints as its outcome.
import type { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../../lib/config';
import type { IngestReport } from '../../lib/ingest/report';
import { versionReports } from '../../scripts/local/flow';

export async function storedReport(
  s3: S3Client,
  cfg: Config,
  bucket: string,
  key: string,
): Promise<IngestReport> {
  const [newest] = await versionReports(s3, cfg.ingest.outputBucket ?? bucket, key, cfg.ingest.reportsPrefix);
  if (!newest) throw new Error(`no report of s3://${bucket}/${key}: no version of it has ended`);
  return newest;
}
