// Lambda: S3 ObjectCreated (directly or through SQS) → the ingest pipeline. Clients are created
// once per container and reused; errors are thrown (direct S3) or reported per message (SQS) so
// that failed objects are retried, never acknowledged as done.
import type { S3Event, SQSEvent } from 'aws-lambda';
import { sharedS3 } from '../lib/aws';
import { sharedClient } from '../lib/cassandra/client';
import { config } from '../lib/config';
import { handleIngestEvent } from '../lib/ingest/notifications';
import { ingestS3Object } from '../lib/ingest/service';
import { createLogger } from '../lib/log';

const cfg = config();
const log = createLogger(cfg.logLevel, { fn: 'ingest' });
const s3 = sharedS3(cfg.aws);

export async function handler(event: S3Event | SQSEvent, context?: { awsRequestId?: string }) {
  const requestLog = log.child({ requestId: context?.awsRequestId });
  const client = await sharedClient(cfg.cassandra);
  const runtime = { cfg, client, log: requestLog };
  return handleIngestEvent(event, (ref) => ingestS3Object(runtime, s3, ref.bucket, ref.key), requestLog);
}
