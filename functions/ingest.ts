// Lambda: S3 ObjectCreated (directly or through SQS) → the ingest pipeline. Clients are created
// once per container and reused; errors are thrown (direct S3) or reported per message (SQS) so
// that failed objects are retried, never acknowledged as done.
import type { S3Event, SQSEvent } from 'aws-lambda';
import { sharedS3 } from '../lib/aws';
import { sharedClient } from '../lib/cassandra/client';
import { handleIngestEvent } from '../lib/ingest/notifications';
import { ingestS3Object } from '../lib/ingest/service';
import { createLogger } from '../lib/log';
import { runtimeConfig } from '../lib/secrets';

export async function handler(event: S3Event | SQSEvent, context?: { awsRequestId?: string }) {
  const cfg = await runtimeConfig();
  const log = createLogger(cfg.logLevel, { fn: 'ingest', requestId: context?.awsRequestId });
  const s3 = sharedS3(cfg.aws);
  const runtime = { cfg, client: await sharedClient(cfg.cassandra), log };
  return handleIngestEvent(event, (ref) => ingestS3Object(runtime, s3, ref.bucket, ref.key), log);
}
