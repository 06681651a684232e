// GET /ingests?source=: the ingest ledger of one object over HTTP, with the fake store. Ledger rows
// are built the way the ingest builds them (newLedgerEntry), so the answers are those of real rows.
import { errors } from 'cassandra-driver';
import type { LedgerEntry } from '../../../lib/cassandra/model';
import { route } from '../../../lib/http';
import { ERROR_CLASSES } from '../../../lib/ingest/failures';
import { newLedgerEntry } from '../../../lib/ingest/report';
import { createLogger } from '../../../lib/log';
import { apiHttpOptions } from '../../../lib/queries/api-handler';
import { getIngests } from '../../../lib/queries/ingests';
import { MAX_SOURCE_LENGTH } from '../../../lib/queries/params';
import { openApiErrors } from '../../support/openapi';
import { FakeStore, httpEvent } from './fakes';

const SOURCE = 's3://tracklog-local-raw-events/incoming/my events+1.csv';
const NOW = new Date('2025-11-27T12:00:00.000Z');
const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);

function entry(etag: string, startedAt: Date, fields: Partial<LedgerEntry>): LedgerEntry {
  return { ...newLedgerEntry(SOURCE, { etag, versionId: undefined }, startedAt), ...fields };
}

/** The first upload completed, the second failed, the third is being ingested in parts right now. */
const completed = entry('c0ffee', minutes(-120), {
  status: 'completed',
  format: 'csv',
  compressed: false,
  parts: 1,
  rowsRead: 10,
  rowsWritten: 7,
  rowsSkipped: 2,
  rowsRejected: 1,
  rejectsLocations: ['s3://tracklog-local-ingest-outputs/rejected/incoming/my events+1.csv.jsonl'],
  finishedAt: minutes(-119),
  durationMs: 1200,
});
const failed = entry('bad', minutes(-60), {
  status: 'failed',
  failure: 'input',
  errorClass: 'not_an_event_log',
  // What the ingest writes: the first line of the object, which may be a row with a person's name.
  error:
    'the object is not an event log: no header with sessionId, itemInSession and userId; line 1 is "Mira,Quell,9008"',
  versionId: '3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY',
});
const inProgress = entry('abc123', minutes(-5), {
  format: 'jsonl',
  compressed: true,
  parts: 2,
  rowsRead: 400_000,
  rowsWritten: 330_000,
  rowsSkipped: 70_000,
  writeRetries: 3,
  resumeOffset: 96_000_000,
  resumeLine: 400_001,
  durationMs: 1_700_000,
  leaseOwner: 'a-delivery',
  leaseUntil: minutes(10),
});

const logged: string[] = [];
const http = apiHttpOptions(
  ['*'],
  createLogger('debug', {}, (line) => logged.push(line)),
);
const body = (res: { body?: string }) => JSON.parse(res.body ?? 'null');

function api(store: FakeStore) {
  const answer = route(http, (e) =>
    getIngests(store, e, { outputBucket: 'outputs', reportsPrefix: 'reports/' }, () => NOW),
  );
  return (rawQueryString: string, method = 'GET') =>
    answer(httpEvent('/ingests', { rawQueryString, method }));
}

const query = (source: string) => `source=${encodeURIComponent(source)}`;

describe('GET /ingests?source=', () => {
  const store = new FakeStore();
  store.ledger.set(SOURCE, [completed, failed, inProgress]);
  const get = api(store);

  it('answers every version of the object, newest startedAt first, as the contract documents', async () => {
    const res = await get(query(SOURCE));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(body(res).source).toBe(SOURCE);
    expect(body(res).versions.map((v: { etag: string }) => v.etag)).toEqual(['abc123', 'bad', 'c0ffee']);
    expect(openApiErrors('getIngests', 200, body(res))).toEqual([]);
  });

  it('gives an in-progress version its checkpoint (the next part) and the lease a delivery holds', async () => {
    expect(body(await get(query(SOURCE))).versions[0]).toEqual({
      etag: 'abc123',
      versionId: null,
      status: 'in_progress',
      format: 'jsonl',
      compressed: true,
      parts: 2,
      rowsRead: 400_000,
      rowsWritten: 330_000,
      rowsSkipped: 70_000,
      rowsRejected: 0,
      writeRetries: 3,
      rejectsLocations: [],
      startedAt: '2025-11-27T11:55:00.000Z',
      finishedAt: null,
      durationMs: 1_700_000,
      error: null,
      failure: null,
      report: null,
      checkpoint: { part: 3, offset: 96_000_000, line: 400_001 },
      leaseUntil: '2025-11-27T12:10:00.000Z',
      splits: null,
    });
  });

  it('gives a failed version its error, and no end, checkpoint or lease', async () => {
    expect(body(await get(query(SOURCE))).versions[1]).toEqual({
      etag: 'bad',
      versionId: '3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY',
      status: 'failed',
      format: null,
      compressed: null,
      parts: 0,
      rowsRead: 0,
      rowsWritten: 0,
      rowsSkipped: 0,
      rowsRejected: 0,
      writeRetries: 0,
      rejectsLocations: [],
      startedAt: '2025-11-27T11:00:00.000Z',
      finishedAt: null,
      durationMs: 0,
      error: { class: 'not_an_event_log', message: ERROR_CLASSES.not_an_event_log },
      failure: 'input',
      report: 's3://outputs/reports/incoming/my events+1.csv/bad.json',
      checkpoint: null,
      leaseUntil: null,
      splits: null,
    });
  });

  it('gives a completed version its counts, rejects and end', async () => {
    expect(body(await get(query(SOURCE))).versions[2]).toEqual({
      etag: 'c0ffee',
      versionId: null,
      status: 'completed',
      format: 'csv',
      compressed: false,
      parts: 1,
      rowsRead: 10,
      rowsWritten: 7,
      rowsSkipped: 2,
      rowsRejected: 1,
      writeRetries: 0,
      rejectsLocations: ['s3://tracklog-local-ingest-outputs/rejected/incoming/my events+1.csv.jsonl'],
      startedAt: '2025-11-27T10:00:00.000Z',
      finishedAt: '2025-11-27T10:01:00.000Z',
      durationMs: 1200,
      error: null,
      failure: null,
      report: 's3://outputs/reports/incoming/my events+1.csv/c0ffee.json',
      checkpoint: null,
      leaseUntil: null,
      splits: null,
    });
  });

  it('shows no error text: no driver message, address or row of the object, even on rows without a class', async () => {
    const s = new FakeStore();
    s.ledger.set(SOURCE, [
      { ...failed, errorClass: undefined },
      {
        ...inProgress,
        error: 'cannot read the object: connect ECONNREFUSED 10.0.3.7:443',
        failure: 'transient',
      },
    ]);
    const text = JSON.stringify(body(await api(s)(query(SOURCE))));
    for (const secret of ['Mira', 'Quell', '10.0.3.7', 'ECONNREFUSED', 'line 1'])
      expect(text).not.toContain(secret);
    expect(
      body(await api(s)(query(SOURCE))).versions.map(
        (v: { error: { class: string } | null }) => v.error?.class,
      ),
    ).toEqual(['internal_error', 'not_an_event_log']);
  });

  it('keeps the checkpoint of a version whose later part failed (the retry resumes there)', async () => {
    const s = new FakeStore();
    s.ledger.set(SOURCE, [
      {
        ...inProgress,
        error:
          'writing plays: All host(s) tried for query failed (tried: 10.0.1.10:9042 (OperationTimedOutError))',
        errorClass: 'cassandra_unavailable',
        failure: 'transient',
        leaseOwner: undefined,
      },
    ]);
    const [version] = body(await api(s)(query(SOURCE))).versions;
    expect(version).toMatchObject({
      status: 'in_progress',
      error: { class: 'cassandra_unavailable', message: ERROR_CLASSES.cassandra_unavailable },
      failure: 'transient',
      report: null,
      checkpoint: { part: 3, offset: 96_000_000, line: 400_001 },
      leaseUntil: null,
      splits: null,
    });
  });

  it('says no lease is held once it has run out (its holder died; the next delivery takes over)', async () => {
    const s = new FakeStore();
    s.ledger.set(SOURCE, [{ ...inProgress, leaseUntil: minutes(-1) }]);
    expect(body(await api(s)(query(SOURCE))).versions[0].leaseUntil).toBeNull();
  });

  it('orders versions that started at the same moment by etag', async () => {
    const s = new FakeStore();
    s.ledger.set(SOURCE, [
      entry('b', minutes(0), {}),
      entry('a', minutes(0), {}),
      entry('c', minutes(1), {}),
    ]);
    const versions = body(await api(s)(query(SOURCE))).versions as { etag: string }[];
    expect(versions.map((v) => v.etag)).toEqual(['c', 'a', 'b']);
  });

  it('shows a split version as one line, its splits done of total and their counts so far', async () => {
    const source = 's3://raw/big.csv';
    const split = (k: number, fields: Partial<LedgerEntry>) => ({
      ...newLedgerEntry(source, { etag: `e9/split-000${k}`, versionId: undefined }, minutes(-9)),
      splitStart: (k - 1) * 100,
      splitEnd: k * 100,
      ...fields,
    });
    const split3 = new FakeStore();
    split3.ledger.set(source, [
      {
        ...newLedgerEntry(source, { etag: 'e9', versionId: undefined }, minutes(-10)),
        splits: 3,
        format: 'csv',
      },
      split(1, { status: 'completed', parts: 2, rowsRead: 50, rowsWritten: 40, rowsSkipped: 10 }),
      split(2, { parts: 1, rowsRead: 20, rowsWritten: 20, resumeOffset: 150, resumeLine: 30 }),
      split(3, {}),
    ]);
    const res = await api(split3)(query(source));
    expect(openApiErrors('getIngests', 200, body(res))).toEqual([]);
    const { versions } = body(res);
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({
      etag: 'e9',
      status: 'in_progress',
      parts: 3,
      rowsRead: 70,
      rowsWritten: 60,
      rowsSkipped: 10,
      splits: { done: 1, total: 3 },
    });
  });

  it('answers 404 when no ingest of the source is known', async () => {
    const res = await get(query('s3://tracklog-local-raw-events/incoming/other.csv'));
    expect(res.statusCode).toBe(404);
    expect(body(res)).toEqual({
      error: {
        code: 'not_found',
        message: 'no ingest of s3://tracklog-local-raw-events/incoming/other.csv is known',
      },
    });
    expect(openApiErrors('getIngests', 404, body(res))).toEqual([]);
  });

  it('reads the source with form semantics: a space as +, a plus as %2B', async () => {
    const res = await get('source=s3://tracklog-local-raw-events/incoming/my+events%2B1.csv');
    expect(res.statusCode).toBe(200);
    expect(body(res).source).toBe(SOURCE);
  });

  it.each([
    ['absent', ''],
    ['empty', 'source='],
    ['given twice', `${query(SOURCE)}&${query(SOURCE)}`],
    ['blank', 'source=%20%20'],
    ['not an s3:// URL', query('https://tracklog-local-raw-events.s3.amazonaws.com/a.csv')],
    ['a local path (the CLI records those too)', query('/home/me/events.csv')],
    ['S3:// in capitals', query('S3://tracklog-local-raw-events/a.csv')],
    ['a bucket without a key', query('s3://tracklog-local-raw-events')],
    ['a bucket and an empty key', query('s3://tracklog-local-raw-events/')],
    ['a bucket name of two characters', query('s3://ab/a.csv')],
    ['a bucket name of 64 characters', query(`s3://${'b'.repeat(64)}/a.csv`)],
    ['a bucket name in capitals', query('s3://Tracklog/a.csv')],
    ['a bucket name ending in a hyphen', query('s3://tracklog-/a.csv')],
    ['a source over the longest S3 URL', query(`s3://bucket/${'k'.repeat(MAX_SOURCE_LENGTH)}`)],
  ])('answers 400 naming source when it is %s', async (_case, qs) => {
    const s = new FakeStore();
    s.failWith = new Error('the store must not be asked');
    const res = await api(s)(qs);
    expect(res.statusCode).toBe(400);
    expect(body(res).error).toMatchObject({ code: 'bad_request', parameter: 'source' });
    expect(openApiErrors('getIngests', 400, body(res))).toEqual([]);
  });

  it.each(['POST', 'DELETE', 'HEAD'])('answers %s with a 405 and Allow: GET', async (method) => {
    const res = await get(query(SOURCE), method);
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('GET');
  });

  it('answers 503 with Retry-After when Cassandra is unavailable', async () => {
    const s = new FakeStore();
    s.failWith = new errors.NoHostAvailableError({});
    const res = await api(s)(query(SOURCE));
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('2');
    expect(openApiErrors('getIngests', 503, body(res))).toEqual([]);
  });
});
