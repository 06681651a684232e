// A Cassandra node killed mid-ingest with clients over TLS (`npm run test:faults`, not part of `npm
// test`: it starts a three-node cluster of its own):
//   h. three nodes, RF 3, LOCAL_QUORUM, client-to-node TLS only (stack:up --tls): node 1 (the seed
//      and the first contact point) killed and kept down: the ingest completes exactly (every table
//      holds what the source implies) and the HTTP API, asked all along, answers every request
//      right (no 5xx).
// Node 1 is the one that matters: the client once sent every TLS connection to the first contact
// point, so with node 1 down no node was reachable (lib/cassandra/client.ts, tlsOptions).
// The cluster runs in a folder of its own: the shared single node stops for it and comes back after.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, types } from 'cassandra-driver';
import { applySchema } from '../../../lib/cassandra/schema';
import { waitForReport } from '../../../scripts/local/flow';
import {
  killNode,
  runningContactPoints,
  runningTlsCaFile,
  stackDown,
  stackUp,
} from '../../../scripts/stack/index';
import { cqlReleaseVersion } from '../../../scripts/stack/probes';
import { readStackSettings, type StackSettings } from '../../../scripts/stack/settings';
import { stackClientTls, stackTlsPaths } from '../../../scripts/stack/tls';
import type { TestKeyspace } from '../../integration/support/cassandra';
import { useLocalFlow } from '../../integration/support/flow';
import {
  askContinuously,
  figure,
  type GeneratedObject,
  generatedObject,
  ledgerRow,
  queueDrained,
  sleep,
  someSongs,
  source,
  tablesAgainstSource,
  until,
  upload,
} from '../support';

describe('three nodes over TLS, RF 3, LOCAL_QUORUM', () => {
  const shared = readStackSettings();
  const cluster: StackSettings = {
    ...shared,
    localDir: mkdtempSync(join(tmpdir(), 'tracklog-tls-cluster-')),
    cassandraNodes: 3,
    cassandraHeap: undefined,
    cassandraTls: true,
    externalCassandra: undefined,
  };
  const caFile = stackTlsPaths(cluster).caFile;
  const name = `faults_tls_${Date.now().toString(36)}`;
  let client: Client;
  const ks: TestKeyspace = {
    get client() {
      return client;
    },
    name,
  };
  const contactPoints = ['127.0.0.1:9042', '127.0.0.2:9042', '127.0.0.3:9042'].join(',');
  let small: GeneratedObject;
  let big: GeneratedObject;

  beforeAll(async () => {
    await stackDown(shared, ['cassandra']);
    await stackUp(cluster);
    expect(runningContactPoints(cluster)).toHaveLength(3);
    expect(runningTlsCaFile(cluster)).toBe(caFile);
    // The tables are checked at LOCAL_QUORUM, what the ingest writes and the API reads at (case b
    // says why). This client checks each node's certificate against its address, as the function's.
    client = new Client({
      contactPoints: contactPoints.split(','),
      localDataCenter: 'datacenter1',
      queryOptions: { consistency: types.consistencies.localQuorum },
      sslOptions: stackClientTls(caFile),
    });
    await client.connect();
    await applySchema(client, name, { class: 'SimpleStrategy', replicationFactor: 3 });
    small = await generatedObject(5_000, 'tls-small');
    big = await generatedObject(300_000, 'tls-big');
  }, 900_000);
  // After the cluster's beforeAll, which makes the CA: the functions read CASSANDRA_TLS_CA_FILE as
  // their module loads (serverless offline's readiness request loads one), and refuse a missing file.
  const flow = useLocalFlow('tls', ks, {
    LOG_LEVEL: 'info',
    CASSANDRA_CONTACT_POINTS: contactPoints,
    CASSANDRA_REPLICATION: 'SimpleStrategy:3',
    // What stack:up prints for clients; lib/config.ts turns TLS on when it is set.
    CASSANDRA_TLS_CA_FILE: caFile,
    INGEST_LEASE_MS: '20000',
  });
  afterAll(async () => {
    await client?.shutdown();
    await stackDown(cluster, ['cassandra']);
    rmSync(cluster.localDir, { recursive: true, force: true });
    await stackUp(shared);
  }, 600_000);

  it('h. node 1 killed and kept down: the ingest completes exactly, and the API answers every request right', async () => {
    // The nodes take TLS clients only: a plain client is refused, so this case cannot pass in plain text.
    await expect(cqlReleaseVersion(['127.0.0.2:9042'], { only: true })).rejects.toThrow();
    await expect(
      cqlReleaseVersion(['127.0.0.2:9042'], { only: true, tls: stackClientTls(caFile) }),
    ).resolves.toMatch(/^5\.0\./);

    await upload(flow.local, 'incoming/small.csv', small.body);
    await waitForReport(
      flow.local.s3,
      flow.names.outputs,
      'incoming/small.csv',
      (r) => r.status === 'completed',
      120_000,
    );
    const asking = askContinuously(flow.local.offline.baseUrl, someSongs(small, 200, big));
    const key = 'incoming/node-1-down.csv';
    let before = { ...asking.counts };
    let report: Awaited<ReturnType<typeof waitForReport>>;
    // The asking stops whatever happens: a loop left running keeps Jest from exiting after a failure.
    try {
      await upload(flow.local, key, big.body);
      await until(
        'the ingest claims the object',
        async () =>
          (await ledgerRow(client, name, source(flow.names.bucket, key)))?.get('lease_owner') != null,
      );
      await sleep(2000);
      before = { ...asking.counts };
      await killNode(cluster, 1);
      report = await waitForReport(
        flow.local.s3,
        flow.names.outputs,
        key,
        (r) => r.status === 'completed' || r.status === 'failed',
        600_000,
      );
    } finally {
      await asking.stop();
    }
    const counts = asking.counts;
    const expected = { ...big.expected };
    for (const t of Object.keys(expected) as (keyof typeof expected)[])
      expected[t] = new Map([...small.expected[t], ...big.expected[t]]);
    const tables = await tablesAgainstSource(client, name, expected);
    figure('h: node 1 of three down, over TLS', {
      ...counts,
      requestsAfterKill: counts.requests - before.requests,
      status: report.status,
      writeRetries: report.writeRetries,
      parts: report.parts,
      rowsWritten: report.rowsWritten,
      rows: tables.rows,
      differences: tables.differences,
    });
    expect(report).toMatchObject({ status: 'completed', rowsRead: big.events, rowsRejected: 0 });
    expect(report.part?.rowsFailed).toBe(0);
    // The API was asked while node 1 was down, not only before.
    expect(counts.requests - before.requests).toBeGreaterThan(50);
    expect([counts.status5xx, counts.wrong, counts.other]).toEqual([0, 0, 0]);
    expect(tables.differences).toEqual([]);
    for (const rows of Object.values(tables.rows)) expect(rows.found).toBe(rows.expected);
    expect(await queueDrained(flow.local)).toBe(0);
  }, 900_000);
});
