// When writes fail, the ingest must fail loudly and the ledger must show the object incomplete;
// once the cause is fixed, a redelivery completes it. Uses a real node with a table dropped.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { applySchema } from '../../lib/cassandra/schema';
import { loadConfig } from '../../lib/config';
import { type IngestContext, ingestS3Object } from '../../lib/ingest/service';
import { createLogger } from '../../lib/log';
import { s3Client, uniqueName } from './support/aws';
import { useSchemaKeyspace } from './support/cassandra';

describe('an ingest whose writes fail', () => {
  const ks = useSchemaKeyspace();
  const s3 = s3Client();
  const bucket = uniqueName('it-fail');
  const key = 'raw/quirks.csv';
  let rt: IngestContext;

  beforeAll(async () => {
    rt = {
      cfg: loadConfig({ ...process.env, CASSANDRA_KEYSPACE: ks.name, INGEST_RETRY_BUDGET_MS: '1000' }),
      client: ks.client,
      log: createLogger('error', {}, () => undefined),
    };
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: readFileSync(join(__dirname, '..', 'fixtures', 'quirks.csv')),
      }),
    );
    // The schema check passes once and is remembered for the process; then a table goes away.
    await ingestS3Object(rt, s3, { bucket, key: 'raw/absent.csv' });
    await ks.client.execute(`DROP TABLE ${ks.name}.listeners_by_song`);
  });
  afterAll(() => s3.destroy());

  it('reports failed, never completed, and the ledger shows the object failed', async () => {
    const report = await ingestS3Object(rt, s3, { bucket, key });
    expect(report.status).toBe('failed');
    expect(report.error).toMatch(/listeners_by_song/);
    expect(report.rowsWritten).toBeLessThan(6);
    const rs = await ks.client.execute(
      `SELECT status, error FROM ${ks.name}.ingest_ledger WHERE source = ?`,
      [`s3://${bucket}/${key}`],
      {
        prepare: true,
      },
    );
    expect(rs.first()?.get('status')).toBe('failed');
  });

  it('completes on redelivery once the schema is fixed (a failed version is not a duplicate)', async () => {
    await applySchema(ks.client, ks.name, { class: 'SimpleStrategy', replicationFactor: 1 });
    const report = await ingestS3Object(rt, s3, { bucket, key });
    expect(report).toMatchObject({ status: 'completed', rowsWritten: 6 });
    const rs = await ks.client.execute(
      `SELECT status, error FROM ${ks.name}.ingest_ledger WHERE source = ?`,
      [`s3://${bucket}/${key}`],
      {
        prepare: true,
      },
    );
    expect(rs.first()?.get('status')).toBe('completed');
    expect(rs.first()?.get('error')).toBeNull();
  });
});
