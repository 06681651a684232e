// Lambda: the ingest queue's messages (S3 ObjectCreated notifications) → the ingest pipeline.
// Clients are created once per container and reused; a failed object is reported back as a batch
// item failure so the queue delivers its message again, never acknowledged as done.
import type { SQSEvent } from 'aws-lambda';
import { sharedS3 } from '../lib/aws';
import { sharedClient } from '../lib/cassandra/client';
import { handleIngestEvent } from '../lib/ingest/notifications';
import { ingestS3Object } from '../lib/ingest/service';
import { createLogger } from '../lib/log';
import { configWithSecrets } from '../lib/secrets';

export async function handler(event: SQSEvent, context?: { awsRequestId?: string }) {
  const cfg = await configWithSecrets();
  const log = createLogger(cfg.logLevel, { fn: 'ingest', requestId: context?.awsRequestId });
  const s3 = sharedS3(cfg.aws);
  const ctx = { cfg, client: await sharedClient(cfg.cassandra), log };
  return handleIngestEvent(event, (ref) => ingestS3Object(ctx, s3, ref.bucket, ref.key), log);
}
