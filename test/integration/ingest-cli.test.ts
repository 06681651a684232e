// `npm run ingest` as a user runs it: a child process over local files and s3:// URLs, reports on
// stdout, rejects beside the report, the exit code telling whether every object completed.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { s3Client, uniqueName } from './support/aws';
import { count, useSchemaKeyspace } from './support/cassandra';

const repo = resolve(__dirname, '..', '..');
const quirks = join(repo, 'test', 'fixtures', 'quirks.csv');

function runIngest(args: string[], keyspace: string, env: Record<string, string> = {}) {
  const res = spawnSync(
    join(repo, 'node_modules', '.bin', 'tsx'),
    [join(repo, 'scripts', 'ingest.ts'), ...args],
    {
      env: { ...process.env, CASSANDRA_KEYSPACE: keyspace, ...env },
      encoding: 'utf8',
    },
  );
  const reports = res.stdout
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { status: res.status, reports, stderr: res.stderr };
}

describe('npm run ingest', () => {
  const ks = useSchemaKeyspace();
  const dir = mkdtempSync(join(tmpdir(), 'ingest-cli-'));
  const out = join(dir, 'out');

  it('ingests a directory, prints one JSON report per object and keeps rejects beside the report', () => {
    const input = join(dir, 'in');
    mkdirSync(join(input, 'nested'), { recursive: true });
    copyFileSync(quirks, join(input, '2018-11-01-events.csv'));
    writeFileSync(join(input, 'nested', 'notes.txt'), 'not an event log');

    const { status, reports } = runIngest([input, '--out', out], ks.name);

    expect(status).toBe(0);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({
      source: join(input, '2018-11-01-events.csv'),
      status: 'completed',
      rowsRead: 14,
      rowsWritten: 6,
      rowsSkipped: 2,
      rowsRejected: 6,
      rejectsLocations: [join(out, '2018-11-01-events.csv.rejected.jsonl')],
    });
    for (const field of ['durationMs', 'rowsPerSec']) expect(typeof reports[0]?.[field]).toBe('number');
    const rejects = readFileSync(join(out, '2018-11-01-events.csv.rejected.jsonl'), 'utf8')
      .trimEnd()
      .split('\n');
    expect(rejects).toHaveLength(6);
    expect(JSON.parse(readFileSync(join(out, '2018-11-01-events.csv.report.json'), 'utf8'))).toMatchObject({
      status: 'completed',
    });
  });

  it('honours CASSANDRA_KEYSPACE', async () => {
    expect(await count(ks.client, ks.name, 'plays_by_session')).toBe(6);
  });

  it('reports a second run over the same files as duplicates and still exits 0', () => {
    const { status, reports } = runIngest([join(dir, 'in', '2018-11-01-events.csv'), '--out', out], ks.name);
    expect(status).toBe(0);
    expect(reports).toEqual([
      expect.objectContaining({
        status: 'duplicate',
        rowsRead: 0,
        rowsWritten: 0,
        previous: expect.objectContaining({ rowsRead: 14, rowsWritten: 6, rowsRejected: 6 }),
      }),
    ]);
    // The first run's rejects stay where its report said they are.
    expect(
      readFileSync(join(out, '2018-11-01-events.csv.rejected.jsonl'), 'utf8').trimEnd().split('\n'),
    ).toHaveLength(6);
  });

  it('keeps apart the outputs of files with the same name in different folders', () => {
    const input = join(dir, 'same-names');
    const later = join(dir, 'same-names-out');
    mkdirSync(join(input, 'day1'), { recursive: true });
    mkdirSync(join(input, 'day2'), { recursive: true });
    // day1 has rejects; day2, ingested after it, has none and must not remove day1's.
    copyFileSync(quirks, join(input, 'day1', 'events.csv'));
    const header = readFileSync(quirks, 'utf8').split('\r\n')[0];
    writeFileSync(
      join(input, 'day2', 'events.csv'),
      `${header}\r\nClean,Logged In,Ann,F,0,Lee,100.5,free,,PUT,NextSong,,7001,Only Song,200,1,7001\r\n`,
    );

    const { status, reports } = runIngest([input, '--out', later], ks.name);

    expect(status).toBe(0);
    expect(reports.map((r) => [r.source, r.status, r.rowsRejected, r.rejectsLocations])).toEqual([
      [join(input, 'day1', 'events.csv'), 'completed', 6, [join(later, 'day1', 'events.csv.rejected.jsonl')]],
      [join(input, 'day2', 'events.csv'), 'completed', 0, []],
    ]);
    const saved = (name: string) => JSON.parse(readFileSync(join(later, name), 'utf8'));
    expect(saved('day1/events.csv.report.json')).toMatchObject({ source: join(input, 'day1', 'events.csv') });
    expect(saved('day2/events.csv.report.json')).toMatchObject({ source: join(input, 'day2', 'events.csv') });
    expect(
      readFileSync(join(later, 'day1', 'events.csv.rejected.jsonl'), 'utf8')
        .trimEnd()
        .split('\n'),
    ).toHaveLength(6);
    expect(existsSync(join(later, 'events.csv.report.json'))).toBe(false);
  });

  it('fetches the Cassandra password from the SSM parameter named, as the Lambdas do', () => {
    // LocalStack here serves S3 and SQS only, so the fetch fails: proof it is attempted (the local
    // node asks for no password, so a CLI that skipped the fetch would ingest and exit 0).
    const { status, stderr } = runIngest([quirks, '--out', out], ks.name, {
      CASSANDRA_AUTH: 'password',
      CASSANDRA_USERNAME: 'tracklog',
      CASSANDRA_PASSWORD_SSM_PARAMETER: '/tracklog/it/cassandra-password',
    });
    expect(stderr).toMatch(
      /^ingest: CASSANDRA_PASSWORD_SSM_PARAMETER: cannot read SSM parameter \/tracklog\/it\/cassandra-password: /,
    );
    expect(status).toBe(1);
  });

  it('exits non-zero when any object failed, after ingesting the others', () => {
    const garbage = join(dir, 'garbage.csv');
    writeFileSync(garbage, Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 37) % 256)));
    const fresh = join(dir, 'fresh.csv');
    copyFileSync(quirks, fresh);

    const { status, reports, stderr } = runIngest([garbage, fresh, '--out', out], ks.name);

    expect(status).toBe(1);
    expect(reports.map((r) => r.status)).toEqual(['failed', 'completed']);
    // Bytes that are no text: refused as not UTF-8 before any header is looked for.
    expect(reports[0]?.error).toMatch(/not UTF-8 text: byte \d+ \(0x[0-9a-f]{1,2}\)/);
    expect(stderr).toContain('1 of 2 object(s) failed or were left in progress');
  });

  it('reads s3:// URLs, keeping their rejects in the bucket', async () => {
    const s3 = s3Client();
    const bucket = uniqueName('it-cli');
    try {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'day/one.csv', Body: readFileSync(quirks) }));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'day/two.csv', Body: readFileSync(quirks) }));
      const { status, reports } = runIngest([`s3://${bucket}/day/`, '--out', out], ks.name);
      expect(status).toBe(0);
      // In the bucket, under the version and the delivery.
      const rejectsOf = (name: string) =>
        new RegExp(`^s3://${bucket}/rejected/day/${name}\\.csv/[0-9a-f]{32}/part-0001-[0-9a-f-]{8}\\.jsonl$`);
      expect(reports.map((r) => [r.source, r.status, r.rejectsLocations])).toEqual([
        [`s3://${bucket}/day/one.csv`, 'completed', [expect.stringMatching(rejectsOf('one'))]],
        [`s3://${bucket}/day/two.csv`, 'completed', [expect.stringMatching(rejectsOf('two'))]],
      ]);
      expect(
        JSON.parse(readFileSync(join(out, 's3', bucket, 'day', 'one.csv.report.json'), 'utf8')),
      ).toMatchObject({
        source: `s3://${bucket}/day/one.csv`,
      });
    } finally {
      s3.destroy();
    }
  });

  it.each([
    [['--out'], /--out needs a value/],
    [['--fast', 'x.csv'], /unknown option --fast/],
    [[], /no input given/],
    [['/no/such/file.csv'], /no such file or directory: \/no\/such\/file.csv/],
  ])('exits 2 with a usage message for %j', (args, message) => {
    const { status, stderr } = runIngest(args, ks.name);
    expect(status).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toContain('usage: npm run ingest');
  });
});
