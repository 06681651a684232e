// Lambda, on a schedule (every 15 minutes): finds object versions in progress that nobody carries on
// (every message of theirs lost) and resumes each with a continuation on the ingest queue
// (lib/ingest/sweep.ts). Each resumed version counts in IngestsStalled, which alarms.
import { sharedSqs } from '../lib/aws';
import { sharedClient } from '../lib/cassandra/client';
import { systemClock } from '../lib/clock';
import { CassandraLedgerStore, Ledger } from '../lib/ingest/ledger';
import { CassandraOpenIngests } from '../lib/ingest/open-ingests';
import { sqsIngestQueue } from '../lib/ingest/queue';
import { sweep } from '../lib/ingest/sweep';
import { createLogger } from '../lib/log';
import { functionMetrics, recordSweep } from '../lib/metrics';
import { configWithSecrets } from '../lib/secrets';

export async function handler() {
  const cfg = await configWithSecrets();
  const log = createLogger(cfg.logLevel, { fn: 'sweep' });
  const { queueUrl, leaseMs, retryBudgetMs } = cfg.ingest;
  if (!queueUrl)
    throw new Error('INGEST_QUEUE_URL is not set: the sweep resumes versions through the ingest queue');
  const client = await sharedClient(cfg.cassandra);
  const metrics = functionMetrics(cfg);
  try {
    const result = await sweep({
      ledger: new Ledger(new CassandraLedgerStore(client, cfg.cassandra), {
        retry: { budgetMs: retryBudgetMs },
      }),
      open: new CassandraOpenIngests(client, cfg.cassandra),
      queue: sqsIngestQueue(sharedSqs(cfg.aws), queueUrl, undefined),
      clock: systemClock,
      log,
      leaseMs,
    });
    recordSweep(metrics, result.resumed.length);
    log.info('sweep done', { ...result, resumed: result.resumed.length });
    return result;
  } finally {
    metrics.publishStoredMetrics();
  }
}
