// Lambda, on a schedule (every 15 minutes): finds object versions in progress that nobody carries on
// (every message of theirs lost, or their last delivery dead) and resumes each with a continuation on
// the ingest queue, or ends one that got nowhere however often it was resumed (lib/ingest/sweep.ts).
// Each counts in IngestsStalled, which alarms.
import type { Context } from 'aws-lambda';
import { sharedS3, sharedSqs } from '../lib/aws';
import { sharedClient } from '../lib/cassandra/client';
import { systemClock } from '../lib/clock';
import { CassandraLedgerStore, Ledger } from '../lib/ingest/ledger';
import { CassandraOpenIngests } from '../lib/ingest/open-ingests';
import { s3OutputStore } from '../lib/ingest/output-store';
import { sqsIngestQueue } from '../lib/ingest/queue';
import { sweep } from '../lib/ingest/sweep';
import { createLogger } from '../lib/log';
import { functionMetrics, recordSweep } from '../lib/metrics';
import { configWithSecrets } from '../lib/secrets';

/** Kept free at the end of the function's time: a version looked at by then is finished. */
const MARGIN_MS = 60_000;

export async function handler(
  _event?: unknown,
  context?: Partial<Pick<Context, 'getRemainingTimeInMillis'>>,
) {
  const started = Date.now();
  const cfg = await configWithSecrets();
  const log = createLogger(cfg.logLevel, { fn: 'sweep' });
  const { queueUrl, deadLetterQueueUrl, leaseMs, retryBudgetMs, outputBucket, reportsPrefix } = cfg.ingest;
  if (!queueUrl)
    throw new Error('INGEST_QUEUE_URL is not set: the sweep resumes versions through the ingest queue');
  const client = await sharedClient(cfg.cassandra);
  const s3 = sharedS3(cfg.aws);
  const remainingMs = context?.getRemainingTimeInMillis?.();
  const metrics = functionMetrics(cfg);
  try {
    const result = await sweep({
      ledger: new Ledger(new CassandraLedgerStore(client, cfg.cassandra), {
        retry: { budgetMs: retryBudgetMs },
      }),
      open: new CassandraOpenIngests(client, cfg.cassandra),
      queue: sqsIngestQueue(sharedSqs(cfg.aws), queueUrl, deadLetterQueueUrl),
      outputs: (bucket) => s3OutputStore(s3, outputBucket ?? bucket),
      reportsPrefix,
      clock: systemClock,
      log,
      leaseMs,
      ...(remainingMs !== undefined ? { deadline: started + remainingMs - MARGIN_MS } : {}),
    });
    recordSweep(metrics, result.resumed.length + result.gaveUp.length);
    log.info('sweep done', { ...result, resumed: result.resumed.length, gaveUp: result.gaveUp.length });
    return result;
  } finally {
    metrics.publishStoredMetrics();
  }
}
