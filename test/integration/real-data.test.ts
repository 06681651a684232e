// Against reality: all 30 real daily files, uploaded to LocalStack and ingested by the handler. The
// expected contents are computed here from the raw files with an independent CSV reading, not typed in.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { parse } from 'csv-parse/sync';
import { closeSharedS3 } from '../../lib/aws';
import { closeSharedClient } from '../../lib/cassandra/client';
import type { IngestReport } from '../../lib/ingest/report';
import { uploadedEvent } from '../../scripts/local/lambda-events';
import { readReport, s3Client, uniqueName } from './support/aws';
import { count, useSchemaKeyspace } from './support/cassandra';
import { describeWithRealData, realDataDir, realDataFiles } from './support/real-data';

type Row = Record<string, string>;
type Handler = (event: SQSEvent) => Promise<SQSBatchResponse>;

describeWithRealData('the 30 real event files', () => {
  const ks = useSchemaKeyspace();
  const s3 = s3Client();
  const bucket = uniqueName('it-real');
  const files = realDataFiles();
  const rows: Row[] = files.flatMap(
    (f) => parse(readFileSync(join(realDataDir, f)), { columns: true, bom: true }) as Row[],
  );
  const plays = rows.filter((r) => r.page === 'NextSong');
  const distinct = (key: (r: Row) => string) => new Set(plays.map(key)).size;
  let reports: IngestReport[] = [];

  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const f of files) {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `event_data/${f}`,
          Body: readFileSync(join(realDataDir, f)),
        }),
      );
    }
    process.env.CASSANDRA_KEYSPACE = ks.name;
    const { handler } = require('../../functions/ingest') as { handler: Handler };
    const keys = files.map((f) => `event_data/${f}`);
    expect(await handler(uploadedEvent(bucket, ...keys))).toEqual({ batchItemFailures: [] });
    reports = await Promise.all(keys.map((key) => readReport(s3, bucket, key)));
  });
  afterAll(async () => {
    s3.destroy();
    await closeSharedClient();
    closeSharedS3();
  });

  it('completes every file and accounts for every event', () => {
    expect(files).toHaveLength(30);
    expect(reports.map((r) => r.status)).toEqual(files.map(() => 'completed'));
    const sum = (k: keyof IngestReport) => reports.reduce((n, r) => n + Number(r[k]), 0);
    expect(sum('rowsRead')).toBe(rows.length);
    expect(sum('rowsWritten')).toBe(plays.length);
    expect(sum('rowsSkipped')).toBe(rows.length - plays.length);
    expect(sum('rowsRejected')).toBe(0);
  });

  it('fills each table with as many rows as the raw files imply', async () => {
    expect(await count(ks.client, ks.name, 'plays_by_session')).toBe(
      distinct((r) => `${r.sessionId}|${r.itemInSession}`),
    );
    expect(await count(ks.client, ks.name, 'songs_by_user_session')).toBe(
      distinct((r) => `${r.userId}|${r.sessionId}|${r.itemInSession}`),
    );
    expect(await count(ks.client, ks.name, 'listeners_by_song')).toBe(
      distinct((r) => `${r.song}|${r.userId}`),
    );
  });

  it('answers Q1 for sessionId 338, itemInSession 4', async () => {
    const expected = plays.filter((r) => r.sessionId === '338' && r.itemInSession === '4');
    expect(expected).toHaveLength(1);
    const rs = await ks.client.execute(
      `SELECT artist, song, length FROM ${ks.name}.plays_by_session WHERE session_id = ? AND item_in_session = ?`,
      [338, 4],
      { prepare: true },
    );
    expect(rs.rows.map((r) => [r.artist, r.song, r.length])).toEqual(
      expected.map((r) => [r.artist, r.song, Number(r.length)]),
    );
  });

  it('answers Q2 for userId 10, sessionId 182, in itemInSession order with the user name', async () => {
    const expected = plays
      .filter((r) => r.userId === '10' && r.sessionId === '182')
      .sort((a, b) => Number(a.itemInSession) - Number(b.itemInSession));
    expect(expected.length).toBeGreaterThan(1);
    const rs = await ks.client.execute(
      `SELECT item_in_session, artist, song, first_name, last_name FROM ${ks.name}.songs_by_user_session WHERE user_id = ? AND session_id = ?`,
      [10, 182],
      { prepare: true },
    );
    expect(rs.rows.map((r) => [r.item_in_session, r.artist, r.song, r.first_name, r.last_name])).toEqual(
      expected.map((r) => [Number(r.itemInSession), r.artist, r.song, r.firstName, r.lastName]),
    );
  });

  it('answers Q3 for "All Hands Against His Own", one row per listener', async () => {
    const listeners = new Map(
      plays
        .filter((r) => r.song === 'All Hands Against His Own')
        .map((r) => [Number(r.userId), [r.firstName, r.lastName]]),
    );
    expect(listeners.size).toBeGreaterThan(1);
    const rs = await ks.client.execute(
      `SELECT user_id, first_name, last_name FROM ${ks.name}.listeners_by_song WHERE song = ?`,
      ['All Hands Against His Own'],
      { prepare: true },
    );
    expect(rs.rows.map((r) => [r.user_id, [r.first_name, r.last_name]])).toEqual(
      [...listeners.entries()].sort((a, b) => a[0] - b[0]),
    );
  });
});
