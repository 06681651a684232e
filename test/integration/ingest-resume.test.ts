// Parts that do not end as planned, against the real Cassandra and LocalStack: the process running
// a part killed with SIGKILL (as Lambda kills an invocation at its time limit), and an object
// overwritten while its continuation waits.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { loadConfig } from '../../lib/config';
import { type IngestContext, ingestAllParts, ingestFilePart, ingestS3Object } from '../../lib/ingest/service';
import { createLogger } from '../../lib/log';
import { generateEvents, writeEventFiles } from '../../scripts/generate/index';
import { s3Client, uniqueName } from './support/aws';
import { useSchemaKeyspace } from './support/cassandra';
import { actualContents, differences, expectedContents } from './support/expected';

const repo = resolve(__dirname, '..', '..');
const quiet = createLogger('error', {}, () => undefined);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a part killed with SIGKILL', () => {
  const ks = useSchemaKeyspace();
  const EVENTS = 150_000;
  const SEED = 'killed';
  const parts = { INGEST_DEADLINE_MS: '3000', INGEST_DEADLINE_MARGIN_MS: '1000', INGEST_LEASE_MS: '4000' };
  let file = '';
  let out = '';
  let cli: ChildProcess | undefined;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'killed-'));
    file =
      (await writeEventFiles({ outDir: join(dir, 'in'), events: EVENTS, seed: SEED })).files[0]?.path ?? '';
    out = join(dir, 'out');
  }, 120_000);
  afterAll(() => {
    // Killed in the test already, unless the test failed before that.
    if (cli?.pid && cli.exitCode === null && cli.signalCode === null) process.kill(-cli.pid, 'SIGKILL');
  });

  const ledgerRow = async () =>
    (
      await ks.client.execute(
        `SELECT status, parts, rows_read, resume_offset, lease_owner FROM ${ks.name}.ingest_ledger WHERE source = ?`,
        [file],
        { prepare: true },
      )
    ).first();

  it('is resumed from its checkpoint by the next run, the lease no obstacle once expired, counts exact', async () => {
    // npm run ingest with 3 s parts, killed (the whole process group) while its third part runs.
    cli = spawn(join(repo, 'node_modules', '.bin', 'tsx'), ['scripts/ingest.ts', file, '--out', out], {
      cwd: repo,
      env: { ...process.env, CASSANDRA_KEYSPACE: ks.name, ...parts },
      detached: true,
      stdio: 'ignore',
    });
    let row = await ledgerRow();
    for (let i = 0; i < 600 && Number(row?.get('parts') ?? 0) < 2; i++) {
      await sleep(100);
      row = await ledgerRow();
    }
    expect(Number(row?.get('parts'))).toBeGreaterThanOrEqual(2);
    await sleep(800); // into the next part, past its claim and some of its writes
    process.kill(-(cli.pid as number), 'SIGKILL');
    await new Promise((r) => cli?.once('exit', r));
    const atKill = await ledgerRow();
    const checkpoint = { parts: Number(atKill?.get('parts')), offset: Number(atKill?.get('resume_offset')) };
    // The killed part still holds its lease: the ledger says in progress, with the last checkpoint.
    expect(atKill?.get('status')).toBe('in_progress');
    expect(atKill?.get('lease_owner')).not.toBeNull();

    // The next run (here in this process, to see its first part) waits out the lease, then starts
    // where the checkpoint says: the work lost is what the killed part had done, at most one part.
    const ctx: IngestContext = {
      cfg: loadConfig({ ...process.env, CASSANDRA_KEYSPACE: ks.name, ...parts }),
      client: ks.client,
      log: quiet,
    };
    const firstParts: { number: number; startOffset: number }[] = [];
    const final = await ingestAllParts(
      async (continuation) => {
        const report = await ingestFilePart(ctx, file, join(out, 'rerun.rejected'), continuation);
        if (report.part) firstParts.push(report.part);
        return report;
      },
      { maxWaitMs: 30_000, log: quiet, sleep: (ms) => sleep(Math.min(ms, 500)) },
    );
    expect(firstParts[0]).toMatchObject({ number: checkpoint.parts + 1, startOffset: checkpoint.offset });
    expect(final).toMatchObject({ status: 'completed', rowsRead: EVENTS, rowsRejected: 0 });
    expect(final.rowsRead).toBe(final.rowsWritten + final.rowsSkipped);
    expect(
      differences(
        expectedContents(generateEvents({ events: EVENTS, seed: SEED })),
        await actualContents(ks.client, ks.name),
      ),
    ).toEqual([]);
  }, 300_000);
});

describe('an object overwritten while its continuation waits', () => {
  const ks = useSchemaKeyspace();
  const s3 = s3Client();
  const bucket = uniqueName('it-overwrite');
  const key = 'raw/day.csv';
  afterAll(() => s3.destroy());

  it('ends the old version as superseded, and the new version is ingested on its own notification', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'overwrite-'));
    const v1 = await writeEventFiles({ outDir: join(dir, 'v1'), events: 100_000, seed: 'v1' });
    const v2 = await writeEventFiles({ outDir: join(dir, 'v2'), events: 20_000, seed: 'v2' });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(v1.files[0]?.path ?? '') }),
    );
    const ctx: IngestContext = {
      cfg: loadConfig({
        ...process.env,
        CASSANDRA_KEYSPACE: ks.name,
        INGEST_DEADLINE_MS: '1000',
        INGEST_DEADLINE_MARGIN_MS: '500',
      }),
      client: ks.client,
      log: quiet,
    };
    const first = await ingestS3Object(ctx, s3, { bucket, key });
    expect(first).toMatchObject({ status: 'in_progress', checkpoint: { part: 2 } });

    // Overwritten before the continuation is delivered.
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(v2.files[0]?.path ?? '') }),
    );
    const continuation = { etag: first.etag ?? '', versionId: first.versionId, part: 2 };
    const stale = await ingestS3Object(ctx, s3, { bucket, key, continuation });
    expect(stale).toMatchObject({ status: 'superseded', etag: first.etag, parts: 1 });
    expect(stale.error).toMatch(/overwritten/);
    const old = await ks.client.execute(
      `SELECT status FROM ${ks.name}.ingest_ledger WHERE source = ? AND etag = ?`,
      [`s3://${bucket}/${key}`, first.etag],
      { prepare: true },
    );
    expect(old.first()?.get('status')).toBe('superseded');

    // The new version's own notification ingests it whole, in as many parts as it takes.
    const noDeadline = { ...ctx, cfg: loadConfig({ ...process.env, CASSANDRA_KEYSPACE: ks.name }) };
    const fresh = await ingestS3Object(noDeadline, s3, { bucket, key });
    expect(fresh).toMatchObject({ status: 'completed', rowsRead: 20_000, parts: 1 });
    expect(fresh.etag).not.toBe(first.etag);
  }, 180_000);
});
