// GET /ingests?source= over HTTP (serverless offline, started here) in front of the real Cassandra:
// an object ingested from LocalStack by the real ingest (lib/ingest/service.ts), then overwritten
// with a file that is no event log; a version in progress written through the ledger itself; and a
// row in the shape written before leases existed. Answers are checked against openapi.yaml and
// against the reports the ingest stored.
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SCOPES } from '../../lib/auth';
import { loadConfig } from '../../lib/config';
import { ERROR_CLASSES } from '../../lib/ingest/failures';
import { CassandraLedgerStore, Ledger } from '../../lib/ingest/ledger';
import { type IngestReport, newLedgerEntry } from '../../lib/ingest/report';
import { ingestS3Object } from '../../lib/ingest/service';
import { createLogger } from '../../lib/log';
import { type Offline, startOffline } from '../../scripts/local/offline';
import { localAuthorization } from '../../scripts/stack/issuer';
import { componentResponseErrors, openApiErrors } from '../support/openapi';
import { QUIRKS_REJECTS, quirks } from '../support/quirks';
import { readReport, s3Client, uniqueName } from './support/aws';
import { useSchemaKeyspace } from './support/cassandra';

describe('GET /ingests over HTTP (serverless offline)', () => {
  const ks = useSchemaKeyspace();
  const s3 = s3Client();
  const bucket = uniqueName('it-status');
  // A key with a space and a plus: the source holds it as S3 does, and the query encodes it.
  const key = 'incoming/2018-11 events+quirks.csv';
  const source = `s3://${bucket}/${key}`;
  const inProgressSource = `s3://${bucket}/incoming/big.csv`;
  const legacySource = `s3://${bucket}/incoming/old.csv`;
  let api: Offline;
  let completed: IngestReport;
  let failed: IngestReport;
  let leaseUntil: Date;

  beforeAll(async () => {
    const cfg = loadConfig({ ...process.env, CASSANDRA_KEYSPACE: ks.name });
    const ctx = { cfg, client: ks.client, log: createLogger('error', {}, () => undefined) };
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const upload = async (body: Buffer | string) => {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      await ingestS3Object(ctx, s3, { bucket, key });
      // What users read: the report object of the newest version that ended.
      return readReport(s3, bucket, key);
    };
    completed = await upload(quirks);
    expect(completed.status).toBe('completed');
    // The same key overwritten with something that is no event log: a new version, which fails.
    failed = await upload('just some notes\nnot events\n');
    expect(failed).toMatchObject({ status: 'failed', failure: 'input' });

    // A version halfway through: its first part done and checkpointed, its lease held by a delivery.
    const ledger = new Ledger(new CassandraLedgerStore(ks.client, cfg.cassandra), {
      retry: { budgetMs: 5000 },
    });
    const owner = 'delivery-under-test';
    const claim = await ledger.claim(
      newLedgerEntry(inProgressSource, { etag: 'e-big', versionId: 'v-big' }, new Date()),
      owner,
      600_000,
    );
    expect(claim.kind).toBe('claimed');
    leaseUntil = new Date(Date.now() + 600_000);
    const written = await ledger.write(
      {
        ...claim.entry,
        format: 'csv',
        compressed: false,
        parts: 1,
        rowsRead: 2000,
        rowsWritten: 1700,
        rowsSkipped: 300,
        resumeOffset: 512_000,
        resumeLine: 2002,
        csvHeader: JSON.stringify(['artist', 'sessionId']),
        durationMs: 9000,
        leaseOwner: owner,
        leaseUntil,
      },
      owner,
    );
    expect(written).toBeDefined();

    // A row from before leases: status `running`, no counts.
    await ks.client.execute(
      `INSERT INTO ${ks.name}.ingest_ledger (source, etag, status, started_at) VALUES (?, ?, ?, ?)`,
      [legacySource, 'e-old', 'running', new Date('2024-01-02T03:04:05.678Z')],
      { prepare: true },
    );

    api = await startOffline({ env: { CASSANDRA_KEYSPACE: ks.name }, name: `ingest-status-${ks.name}` });
  }, 240_000);
  afterAll(async () => {
    await api?.stop();
    s3.destroy();
  });

  async function get(qs: string, method = 'GET') {
    const res = await fetch(`${api.baseUrl}/ingests?${qs}`, {
      method,
      headers: await localAuthorization([SCOPES.ingests]),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  }
  const status = (s: string) => get(new URLSearchParams({ source: s }).toString());

  it('answers every version of an object, newest first, as its reports say, matching the contract', async () => {
    const res = await status(source);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(openApiErrors('getIngests', 200, res.body)).toEqual([]);
    expect(res.body.source).toBe(source);
    const [newest, older, ...rest] = res.body.versions as Record<string, unknown>[];
    expect(rest).toEqual([]);

    expect(older).toEqual({
      etag: completed.etag,
      versionId: null,
      status: 'completed',
      format: 'csv',
      compressed: false,
      parts: 1,
      rowsRead: completed.rowsRead,
      rowsWritten: completed.rowsWritten,
      rowsSkipped: completed.rowsSkipped,
      rowsRejected: QUIRKS_REJECTS.length,
      writeRetries: 0,
      rejectsLocations: completed.rejectsLocations,
      startedAt: completed.startedAt,
      finishedAt: completed.finishedAt,
      durationMs: completed.durationMs,
      error: null,
      failure: null,
      report: expect.stringMatching(
        new RegExp(`/reports/incoming/2018-11 events\\+quirks\\.csv/${completed.etag}\\.json$`),
      ),
      checkpoint: null,
      leaseUntil: null,
      splits: null,
    });
    expect(completed.rejectsLocations).toEqual([expect.stringMatching(/^s3:\/\/.+\/rejected\/incoming\//)]);

    expect(newest).toMatchObject({
      etag: failed.etag,
      status: 'failed',
      failure: 'input',
      // Its class, not the report's text (which quotes the object's first line).
      error: { class: 'not_an_event_log', message: ERROR_CLASSES.not_an_event_log },
      parts: 0,
      rowsRead: 0,
      finishedAt: null,
      checkpoint: null,
      leaseUntil: null,
    });
    expect(newest?.etag).not.toBe(completed.etag);
    expect(failed.error).toContain('just some notes');
    expect(JSON.stringify(res.body)).not.toContain('just some notes');
  });

  it('answers a version in progress with its checkpoint and the lease a delivery holds', async () => {
    const res = await status(inProgressSource);
    expect(res.status).toBe(200);
    expect(openApiErrors('getIngests', 200, res.body)).toEqual([]);
    expect(res.body.versions).toEqual([
      expect.objectContaining({
        etag: 'e-big',
        versionId: 'v-big',
        status: 'in_progress',
        parts: 1,
        rowsRead: 2000,
        rowsWritten: 1700,
        rowsSkipped: 300,
        finishedAt: null,
        durationMs: 9000,
        checkpoint: { part: 2, offset: 512_000, line: 2002 },
        leaseUntil: leaseUntil.toISOString(),
        splits: null,
      }),
    ]);
  });

  it('reads a row written before leases as in progress, with counts of 0', async () => {
    const res = await status(legacySource);
    expect(res.status).toBe(200);
    expect(openApiErrors('getIngests', 200, res.body)).toEqual([]);
    expect(res.body.versions).toEqual([
      expect.objectContaining({
        etag: 'e-old',
        status: 'in_progress',
        parts: 0,
        rowsRead: 0,
        rejectsLocations: [],
        startedAt: '2024-01-02T03:04:05.678Z',
        durationMs: null,
        checkpoint: null,
        leaseUntil: null,
        splits: null,
      }),
    ]);
  });

  it('answers 404 for an object no ingest knows', async () => {
    const res = await status(`s3://${bucket}/incoming/never-uploaded.csv`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      error: {
        code: 'not_found',
        message: `no ingest of s3://${bucket}/incoming/never-uploaded.csv is known`,
      },
    });
    expect(openApiErrors('getIngests', 404, res.body)).toEqual([]);
  });

  it.each([
    ['absent', ''],
    ['not an s3:// URL', 'source=%2Ftmp%2Fevents.csv'],
    ['without a key', 'source=s3://bucket'],
    ['too long', `source=s3://bucket/${'k'.repeat(1100)}`],
  ])('answers 400 naming source when it is %s', async (_case, qs) => {
    const res = await get(qs);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'bad_request', parameter: 'source' });
    expect(openApiErrors('getIngests', 400, res.body)).toEqual([]);
  });

  it('answers other methods with a JSON 405 and Allow: GET', async () => {
    const res = await get(new URLSearchParams({ source }).toString(), 'DELETE');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
    expect(componentResponseErrors('MethodNotAllowed', res.body)).toEqual([]);
  });
});
