import {
  decodeS3Key,
  handleIngestEvent,
  type ObjectRef,
  objectsInSqsBody,
} from '../../../lib/ingest/notifications';
import type { IngestReport } from '../../../lib/ingest/report';
import { s3Notification, sqsEvent, uploadedEvent } from '../../../scripts/local/lambda-events';
import { quietLog } from './fakes';

const notification = (...keys: string[]) => JSON.stringify(s3Notification('raw-events', ...keys));

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
  it('ingests every record of every message, with decoded keys', async () => {
    const { seen, ingest } = reporter();
    const result = await handleIngestEvent(
      sqsEvent(notification('day 1.csv', 'bé.json'), notification('c.csv')),
      ingest,
      quietLog,
    );
    expect(seen).toEqual([
      { bucket: 'raw-events', key: 'day 1.csv' },
      { bucket: 'raw-events', key: 'bé.json' },
      { bucket: 'raw-events', key: 'c.csv' },
    ]);
    expect(result).toEqual({ batchItemFailures: [] });
  });

  it('returns the failed messages as a partial batch failure and skips test events', async () => {
    const { seen, ingest } = reporter(['bad.csv']);
    const event = sqsEvent(
      JSON.stringify({ Event: 's3:TestEvent' }),
      notification('good.csv'),
      notification('bad.csv'),
      'not json at all',
    );
    const result = await handleIngestEvent(event, ingest, quietLog);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm3' }, { itemIdentifier: 'm4' }] });
    expect(seen.map((r) => r.key)).toEqual(['good.csv', 'bad.csv']);
  });

  it('tries every object of a message before reporting the message failed', async () => {
    const { seen, ingest } = reporter(['a.csv']);
    const result = await handleIngestEvent(sqsEvent(notification('a.csv', 'b.csv')), ingest, quietLog);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(seen.map((r) => r.key)).toEqual(['a.csv', 'b.csv']);
  });

  it('ignores S3 records that are not ObjectCreated', async () => {
    const body = s3Notification('raw-events', 'gone.csv');
    const first = body.Records[0];
    if (first) first.eventName = 'ObjectRemoved:Delete';
    const { seen, ingest } = reporter();
    expect(await handleIngestEvent(sqsEvent(JSON.stringify(body)), ingest, quietLog)).toEqual({
      batchItemFailures: [],
    });
    expect(seen).toEqual([]);
  });

  it('refuses a direct S3 event, which nothing deployed sends, naming the wiring it expects', async () => {
    const { seen, ingest } = reporter();
    const direct = s3Notification('raw-events', 'a.csv') as unknown as Parameters<
      typeof handleIngestEvent
    >[0];
    await expect(handleIngestEvent(direct, ingest, quietLog)).rejects.toThrow(/takes SQS events/);
    expect(seen).toEqual([]);
  });

  it('builds the same event for an upload as the queue delivers (one message per object)', () => {
    const event = uploadedEvent('raw-events', 'a b.csv', 'c.csv');
    expect(event.Records.map((r) => [r.eventSource, r.messageId])).toEqual([
      ['aws:sqs', 'm1'],
      ['aws:sqs', 'm2'],
    ]);
    expect(objectsInSqsBody(event.Records[0]?.body ?? '')).toEqual([
      { bucket: 'raw-events', key: 'a b.csv' },
    ]);
  });
});
