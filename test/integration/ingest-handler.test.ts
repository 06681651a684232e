// The ingest Lambda handler against the real local Cassandra and LocalStack: objects uploaded to a
// bucket, the handler invoked with the SQS messages the ingest queue delivers for them, tables,
// report and rejects objects and ledger read back.
import { gzipSync } from 'node:zlib';
import {
  CreateBucketCommand,
  GetObjectCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { closeSharedS3 } from '../../lib/aws';
import { closeSharedClient } from '../../lib/cassandra/client';
import { loadConfig } from '../../lib/config';
import type { IngestReport } from '../../lib/ingest/report';
import { ingestS3Object } from '../../lib/ingest/service';
import { createLogger } from '../../lib/log';
import { s3Notification, sqsEvent, uploadedEvent } from '../../scripts/local/lambda-events';
import { QUIRKS_REJECTS, quirks } from '../support/quirks';
import { readReport, s3Client, sqsClient, uniqueName } from './support/aws';
import { count, useSchemaKeyspace } from './support/cassandra';

type Handler = (event: SQSEvent) => Promise<SQSBatchResponse>;

describe('the ingest handler', () => {
  const ks = useSchemaKeyspace();
  const s3 = s3Client();
  const sqs = sqsClient();
  const bucket = uniqueName('it-ingest');
  let handler: Handler;

  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    // The handler reads its configuration once, at load: point it at this file's keyspace first.
    process.env.CASSANDRA_KEYSPACE = ks.name;
    ({ handler } = require('../../functions/ingest') as typeof import('../../functions/ingest'));
  });
  afterAll(async () => {
    s3.destroy();
    sqs.destroy();
    await closeSharedClient();
    closeSharedS3();
  });

  const put = (key: string, body: Buffer | string) =>
    s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  /** The report the ingest stored for key (reports/<key>.json). */
  const reportOf = (key: string) => readReport(s3, bucket, key);
  /** Delivers the upload of key as the queue does; the report of its ingest. */
  const ingest = async (key: string): Promise<IngestReport> => {
    expect(await handler(uploadedEvent(bucket, key))).toEqual({ batchItemFailures: [] });
    return reportOf(key);
  };
  const select = async (cql: string, params: unknown[]) =>
    (await ks.client.execute(cql.replace(/\bks\./g, `${ks.name}.`), params, { prepare: true })).rows;

  it('ingests an uploaded CSV into the three query tables, accounting for every row', async () => {
    const key = 'raw/2018-11-01 events+quirks.csv';
    await put(key, quirks);

    const report = await ingest(key);

    expect(report).toMatchObject({
      source: `s3://${bucket}/${key}`,
      status: 'completed',
      rowsRead: 14,
      rowsWritten: 6,
      rowsSkipped: 2,
      rowsRejected: 6,
      parts: 1,
    });
    expect(report?.etag).toMatch(/^[0-9a-f]{32}$/);
    // Rejects under the version and the delivery that wrote them.
    expect(report.rejectsLocations).toEqual([
      expect.stringMatching(
        new RegExp(
          `^s3://${bucket}/rejected/raw/2018-11-01 events\\+quirks\\.csv/${report.etag}/part-0001-[0-9a-f-]{8}\\.jsonl$`,
        ),
      ),
    ]);
    expect(await count(ks.client, ks.name, 'plays_by_session')).toBe(6);
    expect(await count(ks.client, ks.name, 'songs_by_user_session')).toBe(6);
    // User 9008 played "Keep It Rolling" twice: one listener row.
    expect(await count(ks.client, ks.name, 'listeners_by_song')).toBe(5);
  });

  it('answers the three access patterns with keyed reads', async () => {
    expect(
      await select(
        'SELECT artist, song, length FROM ks.plays_by_session WHERE session_id = ? AND item_in_session = ?',
        [90139, 2],
      ),
    ).toEqual([
      expect.objectContaining({
        artist: 'The Quoters',
        song: 'He Said "Hi", Then Left / Why? (Live) & More',
        length: 180.5,
      }),
    ]);
    const session = await select(
      'SELECT item_in_session, artist, song, first_name, last_name FROM ks.songs_by_user_session WHERE user_id = ? AND session_id = ?',
      [9008, 90139],
    );
    expect(session.map((r) => [r.item_in_session, r.artist])).toEqual([
      [1, "O'Malley's Band"],
      [2, 'The Quoters'],
      [4, 'Multi Line'],
      [10, "O'Malley's Band"],
    ]);
    expect(session.every((r) => r.first_name === 'Mira' && r.last_name === 'Quell')).toBe(true);
    expect(
      await select('SELECT user_id, first_name, last_name FROM ks.listeners_by_song WHERE song = ?', [
        'Jóga',
      ]),
    ).toEqual([expect.objectContaining({ user_id: 9015, first_name: 'Zoë', last_name: 'Łukasiewicz' })]);
  });

  /**
   * What a read touched, from its query trace: Cassandra's read path logs "Read N live rows and M
   * tombstone cells". A null written into a cell is a tombstone; an unset value writes nothing.
   */
  async function cellsRead(cql: string, params: unknown[]): Promise<{ live: number; tombstones: number }> {
    const rs = await ks.client.execute(cql.replace(/\bks\./g, `${ks.name}.`), params, {
      prepare: true,
      traceQuery: true,
    });
    const traceId = rs.info.traceId;
    if (!traceId) throw new Error('the read was not traced');
    // Trace events are written asynchronously, after the response: poll until the read path's line is in.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const trace = await ks.client.metadata.getTrace(traceId).catch(() => undefined);
      const counts = (trace?.events ?? [])
        .map((e) => /Read (\d+) live rows and (\d+) tombstone cells/.exec(String(e.activity)))
        .filter((m): m is RegExpExecArray => m !== null);
      if (counts.length > 0) {
        return {
          live: counts.reduce((n, m) => n + Number(m[1]), 0),
          tombstones: counts.reduce((n, m) => n + Number(m[2]), 0),
        };
      }
      if (Date.now() > deadline) throw new Error(`no read counts in trace ${traceId}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('leaves a missing length unset rather than writing a null (no tombstone cell)', async () => {
    const header = quirks.toString('utf8').split('\r\n')[0];
    await put(
      'raw/no-length.csv',
      `${header}\r\nNo Length,Logged In,A,F,0,B,,free,,PUT,NextSong,,900,Silence,200,1,77\r\n`,
    );
    await ingest('raw/no-length.csv');
    const rows = await select('SELECT length FROM ks.plays_by_session WHERE session_id = ?', [900]);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.length).toBeNull();
    expect(await cellsRead('SELECT length FROM ks.plays_by_session WHERE session_id = ?', [900])).toEqual({
      live: 1,
      tombstones: 0,
    });
  });

  it('would see a tombstone had a null been written (the check above can fail)', async () => {
    await ks.client.execute(
      `CREATE TABLE IF NOT EXISTS ${ks.name}.null_probe (id int PRIMARY KEY, length double, song text)`,
    );
    await select('INSERT INTO ks.null_probe (id, length, song) VALUES (?, ?, ?)', [1, null, 'Silence']);
    expect(await cellsRead('SELECT length FROM ks.null_probe WHERE id = ?', [1])).toEqual({
      live: 1,
      tombstones: 1,
    });
  });

  it('keeps the rejects under the version, with line numbers, reasons and the original records', async () => {
    const key = 'raw/2018-11-01 events+quirks.csv';
    const [location] = (await reportOf(key)).rejectsLocations;
    const res = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: (location ?? '').replace(`s3://${bucket}/`, '') }),
    );
    const lines = ((await res.Body?.transformToString('utf8')) ?? '')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.line, l.reason])).toEqual(QUIRKS_REJECTS);
    expect(lines[1].record).toMatchObject({ artist: 'Bad Session', sessionId: 'abc', song: 'Song A' });
    expect(lines[4].raw).toBe('Short Row,Logged In,Mira,F,8,Quell,100.0');
  });

  it('stores the report as reports/<key>/<etag>.json beside the source', async () => {
    const key = 'raw/2018-11-01 events+quirks.csv';
    const report = await reportOf(key);
    expect(report).toMatchObject({
      source: `s3://${bucket}/${key}`,
      status: 'completed',
      rowsRead: 14,
      error: null,
    });
  });

  it('records the outcome in the ledger, keyed by object and etag', async () => {
    const source = `s3://${bucket}/raw/2018-11-01 events+quirks.csv`;
    const rows = await select(
      'SELECT etag, status, rows_read, rows_written, rows_skipped, rows_rejected, error FROM ks.ingest_ledger WHERE source = ?',
      [source],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'completed', error: null });
    expect(
      [rows[0]?.rows_read, rows[0]?.rows_written, rows[0]?.rows_skipped, rows[0]?.rows_rejected].map(Number),
    ).toEqual([14, 6, 2, 6]);
  });

  it('reports a re-delivered object as a duplicate, adds nothing, and leaves the version’s report as it was', async () => {
    const key = 'raw/2018-11-01 events+quirks.csv';
    const before = await count(ks.client, ks.name, 'plays_by_session');
    const stored = await reportOf(key);
    // What the handler's delivery does, with its report in hand.
    const cfg = loadConfig({ ...process.env, CASSANDRA_KEYSPACE: ks.name });
    const ctx = { cfg, client: ks.client, log: createLogger('error', {}, () => undefined) };
    const again = await ingestS3Object(ctx, s3, { bucket, key });
    expect(again).toMatchObject({
      status: 'duplicate',
      rowsRead: 0,
      rowsWritten: 0,
      rowsSkipped: 0,
      rowsRejected: 0,
      previous: {
        rowsRead: 14,
        rowsWritten: 6,
        rowsSkipped: 2,
        rowsRejected: 6,
        rejectsLocations: stored.rejectsLocations,
      },
    });
    expect(Number.isNaN(Date.parse(again?.previous?.finishedAt ?? ''))).toBe(false);
    expect(await handler(uploadedEvent(bucket, key))).toEqual({ batchItemFailures: [] });
    expect(await count(ks.client, ks.name, 'plays_by_session')).toBe(before);
    expect(await reportOf(key)).toEqual(stored);
  });

  it('ingests a changed object again (same rows, new etag) and the tables stay the same', async () => {
    const key = 'raw/2018-11-01 events+quirks.csv';
    await put(key, Buffer.concat([quirks, Buffer.from('\r\n')]));
    const changed = await ingest(key);
    expect(changed).toMatchObject({ status: 'completed', rowsWritten: 6 });
    const ledger = await select('SELECT etag FROM ks.ingest_ledger WHERE source = ?', [
      `s3://${bucket}/${key}`,
    ]);
    expect(ledger).toHaveLength(2);
  });

  it('ingests gzip-compressed JSON lines, skipping the S3 test event in the same batch', async () => {
    const lines = [
      {
        page: 'NextSong',
        artist: 'Sigur Rós',
        song: 'Hoppípolla',
        length: 268.3,
        sessionId: 501,
        itemInSession: 0,
        userId: '61',
        firstName: 'Ása',
        lastName: 'Björnsdóttir',
        ts: 1541121934796,
      },
      {
        page: 'Logout',
        artist: null,
        song: null,
        length: null,
        sessionId: 501,
        itemInSession: 1,
        userId: '61',
        firstName: 'Ása',
        lastName: 'Björnsdóttir',
        ts: 1541121934797,
      },
    ];
    const key = 'raw/eventsim 2018-11-02.json.gz';
    await put(key, gzipSync(`${lines.map((l) => JSON.stringify(l)).join('\n')}\n`));

    const result = await handler(
      sqsEvent(JSON.stringify({ Event: 's3:TestEvent' }), JSON.stringify(s3Notification(bucket, key))),
    );

    expect(result).toEqual({ batchItemFailures: [] });
    expect(
      await select('SELECT first_name FROM ks.listeners_by_song WHERE song = ?', ['Hoppípolla']),
    ).toEqual([expect.objectContaining({ first_name: 'Ása' })]);
    const ledger = await select(
      'SELECT status, rows_read, rows_skipped FROM ks.ingest_ledger WHERE source = ?',
      [`s3://${bucket}/${key}`],
    );
    expect(ledger[0]).toMatchObject({ status: 'completed' });
    expect(Number(ledger[0]?.rows_skipped)).toBe(1);
  });

  it('handles the notification LocalStack itself sends for an upload (URL-encoded key)', async () => {
    const queue = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('it-ingest-q') }));
    const queueUrl = queue.QueueUrl ?? '';
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    const notified = uniqueName('it-notified');
    await s3.send(new CreateBucketCommand({ Bucket: notified }));
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: notified,
        NotificationConfiguration: {
          QueueConfigurations: [{ QueueArn: Attributes?.QueueArn, Events: ['s3:ObjectCreated:*'] }],
        },
      }),
    );
    const key = 'drop/Ça plane + 100% (live).csv';
    await s3.send(new PutObjectCommand({ Bucket: notified, Key: key, Body: quirks }));

    const bodies: string[] = [];
    for (let i = 0; i < 20 && !bodies.some((b) => b.includes('ObjectCreated')); i++) {
      const res = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }),
      );
      bodies.push(...(res.Messages ?? []).map((m) => m.Body ?? ''));
    }
    const event = sqsEvent(...bodies);

    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    const ledger = await select('SELECT status FROM ks.ingest_ledger WHERE source = ?', [
      `s3://${notified}/${key}`,
    ]);
    expect(ledger).toEqual([expect.objectContaining({ status: 'completed' })]);
  });

  it('ignores objects under the rejects and reports prefixes instead of ingesting its own output', async () => {
    const own = ['rejected/raw/x.csv.jsonl', 'reports/raw/x.csv.json'];
    for (const key of own) await put(key, '{}\n');
    expect(await handler(uploadedEvent(bucket, ...own))).toEqual({ batchItemFailures: [] });
    for (const key of own) {
      const ledger = await select('SELECT status FROM ks.ingest_ledger WHERE source = ?', [
        `s3://${bucket}/${key}`,
      ]);
      expect(ledger).toEqual([]);
    }
  });

  it('reports an object that is not an event log failed once and does not ask for it again', async () => {
    await put('raw/not-events.csv', 'name,age\nbob,3\n');
    // Called directly there is no queue: nothing to move it to, and nothing retried either.
    expect(await handler(uploadedEvent(bucket, 'raw/not-events.csv'))).toEqual({ batchItemFailures: [] });
    expect(await reportOf('raw/not-events.csv')).toMatchObject({ status: 'failed', failure: 'input' });
    const ledger = await select('SELECT status, error FROM ks.ingest_ledger WHERE source = ?', [
      `s3://${bucket}/raw/not-events.csv`,
    ]);
    expect(ledger[0]).toMatchObject({ status: 'failed' });
    expect(ledger[0]?.error).toMatch(/not an event log header/);
  });
});
