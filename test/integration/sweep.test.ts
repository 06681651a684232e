// The sweep against the real Cassandra and LocalStack: versions in the ledger and the index as the
// ingest leaves them — one stalled in progress (no lease, quiet for longer than two leases), one
// whose notification never got to its claim, one being ingested right now, one completed — and
// the sweep function run once: the two nobody carries on are resumed with a continuation on the
// queue, the live one is left alone, the completed one leaves the index.
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { closeSharedS3 } from '../../lib/aws';
import { closeSharedClient } from '../../lib/cassandra/client';
import { loadConfig } from '../../lib/config';
import { CassandraLedgerStore, Ledger } from '../../lib/ingest/ledger';
import { objectsInSqsBody } from '../../lib/ingest/notifications';
import { CassandraOpenIngests, dayOf } from '../../lib/ingest/open-ingests';
import { newLedgerEntry } from '../../lib/ingest/report';
import type { SweepResult } from '../../lib/ingest/sweep';
import { sqsClient, uniqueName } from './support/aws';
import { useSchemaKeyspace } from './support/cassandra';

describe('the sweep (functions/sweep.ts)', () => {
  const ks = useSchemaKeyspace();
  const sqs = sqsClient();
  const bucket = uniqueName('it-sweep');
  const source = (name: string) => `s3://${bucket}/incoming/${name}.csv`;
  const LEASE_MS = 1000;
  let queueUrl: string;
  let result: SweepResult;

  beforeAll(async () => {
    queueUrl =
      (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('it-sweep-q') }))).QueueUrl ?? '';
    const cfg = loadConfig({ ...process.env, CASSANDRA_KEYSPACE: ks.name });
    const hourAgo = Date.now() - 3_600_000;
    // A clock an hour back: what it writes has been quiet for an hour.
    const past = { now: () => hourAgo, sleep: async () => undefined };
    const store = new CassandraLedgerStore(ks.client, cfg.cassandra);
    const then = new Ledger(store, { retry: { budgetMs: 5000 }, clock: past });
    const now = new Ledger(store, { retry: { budgetMs: 5000 } });
    const open = new CassandraOpenIngests(ks.client, cfg.cassandra);
    const file = (name: string, etag: string, at: number) =>
      open.add({ day: dayOf(Date.now()), source: source(name), etag, filedAt: new Date(at) });

    // Stalled after its first part: checkpoint recorded, lease let go, no message left.
    const stalled = await then.claim(
      newLedgerEntry(source('stalled'), { etag: 'e-stalled', versionId: undefined }, new Date(hourAgo)),
      'gone',
      LEASE_MS,
    );
    if (stalled.kind !== 'claimed') throw new Error('expected a claim');
    await then.write(
      {
        ...stalled.entry,
        parts: 1,
        resumeOffset: 500,
        resumeLine: 9,
        format: 'csv',
        compressed: false,
        leaseOwner: undefined,
        leaseUntil: undefined,
      },
      'gone',
    );
    await file('stalled', 'e-stalled', hourAgo);
    // Filed an hour ago, never claimed.
    await file('unclaimed', 'e-unclaimed', hourAgo);
    // Being ingested right now.
    await now.claim(
      newLedgerEntry(source('live'), { etag: 'e-live', versionId: undefined }, new Date()),
      'live-delivery',
      600_000,
    );
    await file('live', 'e-live', Date.now());
    // Done.
    const done = await then.claim(
      newLedgerEntry(source('done'), { etag: 'e-done', versionId: undefined }, new Date(hourAgo)),
      'done-delivery',
      LEASE_MS,
    );
    if (done.kind !== 'claimed') throw new Error('expected a claim');
    await then.write(
      { ...done.entry, status: 'completed', parts: 1, leaseOwner: undefined, leaseUntil: undefined },
      'done-delivery',
    );
    await file('done', 'e-done', hourAgo - 1000);

    Object.assign(process.env, {
      CASSANDRA_KEYSPACE: ks.name,
      INGEST_QUEUE_URL: queueUrl,
      INGEST_LEASE_MS: String(LEASE_MS),
    });
    const { handler } = require('../../functions/sweep') as typeof import('../../functions/sweep');
    result = await handler();
  }, 60_000);

  afterAll(async () => {
    sqs.destroy();
    await closeSharedClient();
    closeSharedS3();
  });

  it('resumes the versions nobody carries on, each with a continuation of its next part', async () => {
    expect(result.resumed.map((r) => [r.source, r.part]).sort()).toEqual([
      [source('stalled'), 2],
      [source('unclaimed'), 1],
    ]);
    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }),
    );
    const refs = (received.Messages ?? []).flatMap((m) => objectsInSqsBody(m.Body ?? ''));
    expect(refs.map((r) => [`s3://${r.bucket}/${r.key}`, r.continuation]).sort()).toEqual([
      [source('stalled'), { etag: 'e-stalled', versionId: undefined, part: 2 }],
      [source('unclaimed'), { etag: 'e-unclaimed', versionId: undefined, part: 1 }],
    ]);
  });

  it('leaves a version being ingested alone, and takes an ended one out of its index', async () => {
    expect(result.resumed.map((r) => r.source)).not.toContain(source('live'));
    expect(result.ended).toBe(1);
    const cfg = loadConfig({ ...process.env, CASSANDRA_KEYSPACE: ks.name });
    const left = await new CassandraOpenIngests(ks.client, cfg.cassandra).list(dayOf(Date.now()));
    // The resumed ones are filed again under today, so they never fall out of the days the sweep reads.
    expect(left.map((o) => o.etag).sort()).toEqual([
      'e-live',
      'e-stalled',
      'e-stalled',
      'e-unclaimed',
      'e-unclaimed',
    ]);
    expect(result.errors).toBe(0);
  });
});
