// Lambda: the ingest queue's messages (S3 ObjectCreated notifications, and the continuations the
// ingest and the sweep send) → the ingest pipeline, one part per object within the invocation's
// time. Clients are created once per container and reused; what becomes of each message is the
// lifecycle's call, carried out by lib/ingest/notifications.ts.
import type { Context, SQSEvent } from 'aws-lambda';
import { sharedS3, sharedSqs } from '../lib/aws';
import { sharedClient } from '../lib/cassandra/client';
import { handleIngestEvent } from '../lib/ingest/notifications';
import { sqsIngestQueue } from '../lib/ingest/queue';
import { ingestS3Object, markContinued } from '../lib/ingest/service';
import { createLogger } from '../lib/log';
import { functionMetrics, recordIngest } from '../lib/metrics';
import { configWithSecrets } from '../lib/secrets';

export async function handler(
  event: SQSEvent,
  context?: Partial<Pick<Context, 'awsRequestId' | 'getRemainingTimeInMillis'>>,
) {
  const startedAt = Date.now();
  const cfg = await configWithSecrets();
  const log = createLogger(cfg.logLevel, { fn: 'ingest', requestId: context?.awsRequestId });
  const s3 = sharedS3(cfg.aws);
  const ctx = { cfg, client: await sharedClient(cfg.cassandra), log };
  const { queueUrl, deadLetterQueueUrl } = cfg.ingest;
  // The time left when the invocation began; every object of the event shares it.
  const remainingMs = context?.getRemainingTimeInMillis?.();
  const time = { startedAt, ...(remainingMs !== undefined ? { remainingMs } : {}) };
  const metrics = functionMetrics(cfg);
  try {
    return await handleIngestEvent(event, {
      ingest: async (ref, delivery) => {
        const report = await ingestS3Object(ctx, s3, { ...ref, lastDelivery: delivery.lastDelivery }, time);
        recordIngest(metrics, report);
        return report;
      },
      queue: queueUrl ? sqsIngestQueue(sharedSqs(cfg.aws), queueUrl, deadLetterQueueUrl) : undefined,
      continued: (mark) =>
        markContinued(ctx, mark, remainingMs !== undefined ? startedAt + remainingMs : undefined),
      log,
    });
  } finally {
    metrics.publishStoredMetrics();
  }
}
