// End to end, as a user runs it locally: a file dropped into the LocalStack bucket reaches the ingest
// function under serverless offline (bucket → ObjectCreated → SQS → forwarder → Lambda invoke
// endpoint) and becomes queryable through the HTTP API.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { SCOPES } from '../../lib/auth';
import { playTables } from '../../lib/cassandra/model';
import { waitForReport } from '../../scripts/local/flow';
import { localAuthorization } from '../../scripts/stack/issuer';
import { QUIRKS_REJECTS } from '../support/quirks';
import { count, useSchemaKeyspace } from './support/cassandra';
import { loggedAdmission, useLocalFlow } from './support/flow';

const quirks = readFileSync(join(__dirname, '..', 'fixtures', 'quirks.csv'));
const HEADER =
  'artist,auth,firstName,gender,itemInSession,lastName,length,level,location,method,page,registration,sessionId,song,status,ts,userId';

/** A small day of plays: `plays` songs in session `session` of user `user`. */
function dayFile(session: number, user: number, plays: number): string {
  const rows = Array.from(
    { length: plays },
    (_, i) =>
      `Band ${i % 7},Logged In,Ann,F,${i},Lee,${100 + i},free,"City, ST",PUT,NextSong,,${session},Song ${i},200,${i},${user}`,
  );
  return `${HEADER}\r\n${rows.join('\r\n')}\r\n`;
}

describe('the local event flow, end to end', () => {
  const ks = useSchemaKeyspace();
  // At info, the function's log says what each delivery did, duplicates included.
  const flow = useLocalFlow('e2e', ks, { LOG_LEVEL: 'info' });
  const { names } = flow;

  /**
   * Every row's write time, by table and key. Inserts are upserts, so a row written again leaves the
   * counts as they were; its write time is what changes.
   */
  const writeTimes = async (): Promise<Map<string, string>> => {
    const times = new Map<string, string>();
    for (const table of playTables) {
      const keys = [...table.partitionKey, ...table.clustering.map((c) => c.column)];
      const column = table.columns.find((c) => !keys.includes(c.name) && !c.static)?.name;
      if (!column) throw new Error(`${table.name} has no regular column`);
      const rs = await ks.client.execute(
        `SELECT ${keys.join(', ')}, writetime(${column}) AS written FROM ${ks.name}.${table.name}`,
      );
      for (const row of rs.rows) {
        const written: unknown = row.get('written');
        if (written !== null)
          times.set(`${table.name} ${keys.map((k) => String(row.get(k))).join('/')}`, String(written));
      }
    }
    return times;
  };

  const put = (key: string, body: Buffer | string) =>
    flow.local.s3.send(new PutObjectCommand({ Bucket: names.bucket, Key: key, Body: body }));

  it('makes an uploaded file queryable within a bounded wait', async () => {
    const uploaded = Date.now();
    await put('incoming/day one.csv', quirks);
    let status = 0;
    while (Date.now() - uploaded < 60_000) {
      const res = await fetch(`${flow.local.offline.baseUrl}/sessions/90139/items/2`, {
        headers: await localAuthorization([SCOPES.read]),
      });
      status = res.status;
      if (status === 200) {
        expect(await res.json()).toMatchObject({ artist: 'The Quoters', length: 180.5 });
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(200);
    const report = await waitForReport(flow.local.s3, names.outputs, 'incoming/day one.csv', () => true);
    expect(report).toMatchObject({ status: 'completed', rowsRead: 14, rowsWritten: 6, rowsRejected: 6 });
  });

  it('keeps the bad rows of that file in the rejects object of its version, with reasons', async () => {
    const report = await waitForReport(flow.local.s3, names.outputs, 'incoming/day one.csv', () => true);
    const [location] = report.rejectsLocations;
    expect(location).toMatch(
      new RegExp(
        `^s3://${names.outputs}/rejected/incoming/day one\\.csv/${report.etag}/part-0001-[0-9a-f-]{8}\\.jsonl$`,
      ),
    );
    const res = await flow.local.s3.send(
      new GetObjectCommand({
        Bucket: names.outputs,
        Key: (location ?? '').replace(`s3://${names.outputs}/`, ''),
      }),
    );
    const rejects = ((await res.Body?.transformToString('utf8')) ?? '')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rejects.map((r) => [r.line, r.reason])).toEqual(QUIRKS_REJECTS);
  });

  it("writes that ingest's counts as CloudWatch metrics (EMF) to the function log", () => {
    const lines = readFileSync(flow.local.offline.logFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"_aws"') && l.includes('"PlaysWritten"'))
      .map((l) => JSON.parse(l.slice(l.indexOf('{'))) as Record<string, unknown>);
    // The quirks file: 14 rows read, 6 plays written, 2 skipped, 6 rejected, in one part.
    expect(lines).toContainEqual(
      expect.objectContaining({
        service: 'tracklog-local',
        PlaysWritten: 6,
        RowsRead: 14,
        RowsSkipped: 2,
        RowsRejected: 6,
        IngestParts: 1,
        IngestsCompleted: 1,
        IngestsFailed: 0,
      }),
    );
  });

  it('writes its reports and rejects to the outputs bucket only: the raw bucket holds the uploads alone', async () => {
    const raw = await flow.local.s3.send(new ListObjectsV2Command({ Bucket: names.bucket }));
    expect((raw.Contents ?? []).map((o) => o.Key).every((k) => k?.startsWith('incoming/'))).toBe(true);
    const outputs = await flow.local.s3.send(new ListObjectsV2Command({ Bucket: names.outputs }));
    const report = await waitForReport(flow.local.s3, names.outputs, 'incoming/day one.csv', () => true);
    expect((outputs.Contents ?? []).map((o) => o.Key)).toEqual(
      expect.arrayContaining([
        `reports/incoming/day one.csv/${report.etag}.json`,
        ...report.rejectsLocations.map((l) => l.replace(`s3://${names.outputs}/`, '')),
      ]),
    );
  });

  it('reports a re-upload of the same object as a duplicate and writes none of its rows again', async () => {
    const before = await count(ks.client, ks.name, 'plays_by_session');
    const writtenBefore = await writeTimes();
    // The 6 plays of the first upload in each of the three tables (some share a Q3 row).
    expect(writtenBefore.size).toBeGreaterThanOrEqual(6 * 2);
    const stored = await waitForReport(flow.local.s3, names.outputs, 'incoming/day one.csv', () => true);
    await put('incoming/day one.csv', quirks);
    // A duplicate stores no report (its version's stands): the function's log says what it did.
    await loggedAdmission(flow, 'incoming/day one.csv', 'duplicate');
    expect(await waitForReport(flow.local.s3, names.outputs, 'incoming/day one.csv', () => true)).toEqual(
      stored,
    );
    expect(await count(ks.client, ks.name, 'plays_by_session')).toBe(before);
    expect(await writeTimes()).toEqual(writtenBefore);
  });

  it('ingests 30 files uploaded at once', async () => {
    const before = await count(ks.client, ks.name, 'plays_by_session');
    const keys = Array.from(
      { length: 30 },
      (_, i) => `incoming/2018-11-${String(i + 1).padStart(2, '0')}-events.csv`,
    );
    await Promise.all(keys.map((key, i) => put(key, dayFile(50_000 + i, 700 + i, 200))));
    const reports = await Promise.all(
      keys.map((key) => waitForReport(flow.local.s3, names.outputs, key, () => true, 180_000)),
    );
    expect(reports.map((r) => r.status)).toEqual(keys.map(() => 'completed'));
    expect(reports.reduce((n, r) => n + r.rowsWritten, 0)).toBe(30 * 200);
    expect(await count(ks.client, ks.name, 'plays_by_session')).toBe(before + 30 * 200);
    expect(flow.local.forwarder.stats.failed).toBe(0);
  });
});
