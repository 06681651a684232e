import {
  decodeS3Key,
  handleIngestEvent,
  IngestFailedError,
  type ObjectRef,
  objectsInSqsBody,
} from '../../../lib/ingest/notifications';
import type { IngestReport } from '../../../lib/ingest/types';
import { s3Event as s3EventIn, sqsEvent } from '../../support/lambda-events';
import { quietLog } from './fakes';

const s3Event = (...keys: string[]) => s3EventIn('raw-events', ...keys);

function reporter(failing: string[] = []) {
  const seen: ObjectRef[] = [];
  const ingest = async (ref: ObjectRef): Promise<IngestReport> => {
    seen.push(ref);
    const failed = failing.includes(ref.key);
    return {
      source: `s3://${ref.bucket}/${ref.key}`,
      status: failed ? 'failed' : 'completed',
      error: failed ? 'boom' : undefined,
    } as IngestReport;
  };
  return { seen, ingest };
}

describe('decodeS3Key', () => {
  it.each([
    ['2018-11-01+events.csv', '2018-11-01 events.csv'],
    ['a%2Bb.csv', 'a+b.csv'],
    ['%C3%87a+plane%3F.json', 'Ça plane?.json'],
    ['raw/2018/11/01.csv.gz', 'raw/2018/11/01.csv.gz'],
  ])('decodes %s to %s', (encoded, decoded) => {
    expect(decodeS3Key(encoded)).toBe(decoded);
  });
});

describe('objectsInSqsBody', () => {
  it('finds no objects in S3 test event', () => {
    expect(
      objectsInSqsBody(JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'b' })),
    ).toEqual([]);
  });

  it.each([
    ['not JSON', 'hello', 'SQS message body is not JSON'],
    ['JSON without Records', '{"foo": 1}', 'SQS message body is not an S3 event (no Records)'],
  ])('refuses a body that is %s', (_case, body, message) => {
    expect(() => objectsInSqsBody(body)).toThrow(message);
  });
});

describe('handleIngestEvent', () => {
  it('ingests every record of a direct S3 event with decoded keys', async () => {
    const { seen, ingest } = reporter();
    const result = await handleIngestEvent(s3Event('day 1.csv', 'bé.json'), ingest, quietLog);
    expect(seen).toEqual([
      { bucket: 'raw-events', key: 'day 1.csv' },
      { bucket: 'raw-events', key: 'bé.json' },
    ]);
    expect(result).toMatchObject({ reports: [{ status: 'completed' }, { status: 'completed' }] });
  });

  it('throws after trying every record when any object of a direct S3 event failed, so Lambda retries', async () => {
    const { seen, ingest } = reporter(['a.csv']);
    const attempt = handleIngestEvent(s3Event('a.csv', 'b.csv'), ingest, quietLog);
    await expect(attempt).rejects.toBeInstanceOf(IngestFailedError);
    await expect(attempt).rejects.toThrow('1 object(s) failed to ingest: s3://raw-events/a.csv: boom');
    expect(seen.map((r) => r.key)).toEqual(['a.csv', 'b.csv']);
  });

  it('returns the failed SQS messages as a partial batch failure and skips test events', async () => {
    const { seen, ingest } = reporter(['bad.csv']);
    const event = sqsEvent(
      JSON.stringify({ Event: 's3:TestEvent' }),
      JSON.stringify(s3Event('good.csv')),
      JSON.stringify(s3Event('bad.csv')),
      'not json at all',
    );
    const result = await handleIngestEvent(event, ingest, quietLog);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm3' }, { itemIdentifier: 'm4' }] });
    expect(seen.map((r) => r.key)).toEqual(['good.csv', 'bad.csv']);
  });

  it('ignores S3 records that are not ObjectCreated', async () => {
    const event = s3Event('gone.csv');
    const first = event.Records[0];
    if (first) first.eventName = 'ObjectRemoved:Delete';
    const { seen, ingest } = reporter();
    await handleIngestEvent(event, ingest, quietLog);
    expect(seen).toEqual([]);
  });
});
