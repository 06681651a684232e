// A split object on the single local node, through the local event flow: the process running its
// splits (four invocations at once under serverless offline) killed with SIGKILL mid-range. Every
// split's message comes back once its lease runs out and resumes its split from its checkpoint; the
// object ends with one report and the tables exact. Part of `npm run test:faults:single`.
import type { IngestReport } from '../../../lib/ingest/report';
import { waitForReport } from '../../../scripts/local/flow';
import { useSchemaKeyspace } from '../../integration/support/cassandra';
import { useLocalFlow } from '../../integration/support/flow';
import {
  figure,
  type GeneratedObject,
  generatedObject,
  queueDrained,
  sleep,
  splitLeasesHeld,
  tableDifferences,
  until,
  upload,
} from '../support';

/** Short leases, so that the killed splits' messages come back within the test's time. */
const ingestEnv = {
  LOG_LEVEL: 'info',
  INGEST_LEASE_MS: '6000',
  INGEST_READ_STALL_MS: '2000',
  INGEST_DEADLINE_MS: '12000',
  INGEST_DEADLINE_MARGIN_MS: '3000',
  // The 150,000-event object (about 23 MB) in six splits or so.
  INGEST_SPLIT_BYTES: String(4 * 1024 * 1024),
};

describe('a split object on a single node, through the local event flow', () => {
  const ks = useSchemaKeyspace();
  const flow = useLocalFlow('split-faults', ks, ingestEnv);
  let object: GeneratedObject;

  beforeAll(async () => {
    object = await generatedObject(150_000, 'split-faults');
  }, 120_000);

  it('i. the process running four splits killed mid-range: each split resumes from its checkpoint, one exact report', async () => {
    const key = 'incoming/split-killed.csv';
    const source = `s3://${flow.names.bucket}/${key}`;
    await upload(flow.local, key, object.body);
    await until(
      'four splits being ingested at once',
      async () => (await splitLeasesHeld(ks.client, ks.name, source)) >= 4,
      180_000,
    );
    await sleep(1500);
    const killedAt = Date.now();
    await flow.local.restartOffline('kill');
    const report: IngestReport = await waitForReport(
      flow.local.s3,
      flow.names.outputs,
      key,
      (r) => r.status === 'completed' || r.status === 'failed',
      300_000,
    );
    figure('i: the process running four splits killed', {
      completedAfterKillMs: Date.now() - killedAt,
      splits: report.splits,
      parts: report.parts,
    });
    expect(report).toMatchObject({ status: 'completed', rowsRead: object.events, rowsRejected: 0 });
    expect(report.splits?.total).toBeGreaterThanOrEqual(4);
    expect(report.rowsWritten).toBe(object.expected.plays_by_session.size);
    expect(await tableDifferences(ks.client, ks.name, object.expected)).toEqual([]);
    expect(await queueDrained(flow.local)).toBe(0);
  }, 420_000);
});
