// A generated log of 200,000 events (gzip-compressed CSV) through the handler from LocalStack into
// the real Cassandra: every event accounted for, and each table holding what the events imply.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { closeSharedS3 } from '../../lib/aws';
import { closeSharedClient } from '../../lib/cassandra/client';
import type { IngestReport } from '../../lib/ingest/report';
import { generateEvents, writeEventFiles } from '../../scripts/generate/index';
import { uploadedEvent } from '../../scripts/local/lambda-events';
import { readReport, s3Client, uniqueName } from './support/aws';
import { count, useSchemaKeyspace } from './support/cassandra';

const EVENTS = 200_000;
const SEED = 'ingest-large';

describe(`a generated log of ${EVENTS.toLocaleString()} events`, () => {
  const ks = useSchemaKeyspace();
  const s3 = s3Client();
  const bucket = uniqueName('it-large');
  let report: IngestReport | undefined;
  const expected = { plays: 0, listeners: 0 };

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'large-'));
    const summary = await writeEventFiles({ outDir: dir, events: EVENTS, seed: SEED, gzip: true });
    const file = summary.files[0]?.path ?? '';
    const listeners = new Set<string>();
    for (const e of generateEvents({ events: EVENTS, seed: SEED })) {
      if (e.page !== 'NextSong') continue;
      expected.plays++;
      listeners.add(`${e.song}\u0000${e.userId}`);
    }
    expected.listeners = listeners.size;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'big/events.csv.gz', Body: readFileSync(file) }),
    );
    process.env.CASSANDRA_KEYSPACE = ks.name;
    const { handler } = require('../../functions/ingest') as typeof import('../../functions/ingest');
    expect(await handler(uploadedEvent(bucket, 'big/events.csv.gz'))).toEqual({ batchItemFailures: [] });
    report = await readReport(s3, bucket, 'big/events.csv.gz');
  }, 600_000);
  afterAll(async () => {
    s3.destroy();
    await closeSharedClient();
    closeSharedS3();
  });

  it('completes with every event read and every play written', () => {
    expect(report).toMatchObject({
      status: 'completed',
      compressed: true,
      format: 'csv',
      rowsRead: EVENTS,
      rowsRejected: 0,
    });
    expect(report?.rowsWritten).toBe(expected.plays);
    expect(report?.rowsSkipped).toBe(EVENTS - expected.plays);
  });

  it('holds one row per play in the session tables and one per (song, listener) in Q3', async () => {
    expect(await count(ks.client, ks.name, 'plays_by_session')).toBe(expected.plays);
    expect(await count(ks.client, ks.name, 'songs_by_user_session')).toBe(expected.plays);
    expect(await count(ks.client, ks.name, 'listeners_by_song')).toBe(expected.listeners);
  });
});
