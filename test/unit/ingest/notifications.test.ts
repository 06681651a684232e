import {
  continuationBody,
  decodeS3Key,
  handleIngestEvent,
  type ObjectRef,
  objectsInSqsBody,
  retryDelaySeconds,
} from '../../../lib/ingest/notifications';
import type { IngestQueue } from '../../../lib/ingest/queue';
import { buildReport, type IngestReport } from '../../../lib/ingest/report';
import { s3Notification, sqsEvent, uploadedEvent } from '../../../scripts/local/lambda-events';
import { quietLog } from './fakes';

const notification = (...keys: string[]) => JSON.stringify(s3Notification('raw-events', ...keys));

/** Ingests by looking the key up: `outcomes[key]` says how it ends (completed by default). */
function reporter(outcomes: Record<string, Partial<IngestReport>> = {}) {
  const seen: ObjectRef[] = [];
  const lastDeliveries: boolean[] = [];
  const ingest = async (ref: ObjectRef, delivery: { lastDelivery: boolean }): Promise<IngestReport> => {
    seen.push(ref);
    lastDeliveries.push(delivery.lastDelivery);
    const outcome = outcomes[ref.key] ?? {};
    return buildReport(`s3://${ref.bucket}/${ref.key}`, outcome.status ?? 'completed', {
      etag: 'etag-1',
      ...outcome,
    });
  };
  return { seen, ingest, lastDeliveries };
}

/** The queue's calls, recorded. */
function fakeQueue(opts: { failSend?: boolean } = {}) {
  const calls = {
    sent: [] as string[],
    retried: [] as [string, number][],
    deadLettered: [] as [string, string][],
    /** The report each dead-lettered message carried. */
    reports: [] as (string | undefined)[],
  };
  const queue: IngestQueue = {
    async send(body) {
      if (opts.failSend) throw new Error('AccessDenied');
      calls.sent.push(body);
    },
    async retryLater(handle, delay) {
      calls.retried.push([handle, delay]);
    },
    async deadLetter(body, reason, report) {
      calls.deadLettered.push([body, reason]);
      calls.reports.push(report);
      return true;
    },
  };
  return { queue, calls };
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
    [
      'a continuation without a part',
      JSON.stringify({ ...s3Notification('b', 'k.csv'), tracklogContinuation: { etag: 'e' } }),
      'a continuation message needs an etag and a part number >= 1',
    ],
  ])('refuses a body that is %s', (_case, body, message) => {
    expect(() => objectsInSqsBody(body)).toThrow(message);
  });

  it('reads back the continuation it writes: the same object, version and part', () => {
    const [ref] = objectsInSqsBody(notification('a b.csv'));
    const body = continuationBody(ref as ObjectRef, { etag: 'e1', versionId: 'v1', part: 3 });
    expect(objectsInSqsBody(body)).toEqual([
      expect.objectContaining({
        bucket: 'raw-events',
        key: 'a b.csv',
        continuation: { etag: 'e1', versionId: 'v1', part: 3 },
      }),
    ]);
  });
});

describe('retryDelaySeconds', () => {
  it('grows with the receive count from 5 s and stops at 15 minutes', () => {
    expect([1, 2, 3, 4, 5, 20].map(retryDelaySeconds)).toEqual([5, 10, 20, 40, 80, 900]);
  });
});

describe('handleIngestEvent', () => {
  it('ingests every record of every message, with decoded keys', async () => {
    const { seen, ingest } = reporter();
    const result = await handleIngestEvent(
      sqsEvent(notification('day 1.csv', 'bé.json'), notification('c.csv')),
      {
        ingest,
        queue: fakeQueue().queue,
        log: quietLog,
      },
    );
    expect(seen.map((r) => [r.bucket, r.key])).toEqual([
      ['raw-events', 'day 1.csv'],
      ['raw-events', 'bé.json'],
      ['raw-events', 'c.csv'],
    ]);
    expect(result).toEqual({ batchItemFailures: [] });
  });

  it('leaves a transiently failed message for later, backing off by its receive count, and skips test events', async () => {
    const { seen, ingest } = reporter({
      'bad.csv': { status: 'failed', failure: 'transient', error: 'timeout' },
    });
    const { queue, calls } = fakeQueue();
    const event = sqsEvent(
      JSON.stringify({ Event: 's3:TestEvent' }),
      notification('good.csv'),
      notification('bad.csv'),
    );
    const third = event.Records[2];
    if (third) third.attributes.ApproximateReceiveCount = '3';
    const result = await handleIngestEvent(event, { ingest, queue, log: quietLog });
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm3' }] });
    expect(calls.retried).toEqual([['h3', 20]]);
    expect(seen.map((r) => r.key)).toEqual(['good.csv', 'bad.csv']);
  });

  it('moves an object that can never be ingested to the dead-letter queue at once, not retried', async () => {
    const { ingest } = reporter({
      'cat.png.csv': { status: 'failed', failure: 'input', error: 'not an event log header' },
    });
    const { queue, calls } = fakeQueue();
    const result = await handleIngestEvent(sqsEvent(notification('cat.png.csv')), {
      ingest,
      queue,
      log: quietLog,
    });
    expect(result).toEqual({ batchItemFailures: [] });
    expect(calls.retried).toEqual([]);
    expect(calls.deadLettered).toHaveLength(1);
    expect(calls.deadLettered[0]?.[1]).toBe('not an event log header');
    expect(objectsInSqsBody(calls.deadLettered[0]?.[0] ?? '')).toEqual([
      expect.objectContaining({ key: 'cat.png.csv' }),
    ]);
    expect(JSON.parse(calls.reports[0] ?? '{}')).toMatchObject({ status: 'failed', failure: 'input' });
  });

  it('moves a defect to the dead-letter queue at once, with its report, never retried as transient', async () => {
    const { ingest } = reporter({
      'odd.csv': { status: 'failed', failure: 'defect', error: 'accounting mismatch in part 1' },
    });
    const { queue, calls } = fakeQueue();
    const result = await handleIngestEvent(sqsEvent(notification('odd.csv')), {
      ingest,
      queue,
      log: quietLog,
    });
    expect(result).toEqual({ batchItemFailures: [] });
    expect(calls.retried).toEqual([]);
    expect(calls.deadLettered.map(([, why]) => why)).toEqual(['accounting mismatch in part 1']);
    expect(JSON.parse(calls.reports[0] ?? '{}')).toMatchObject({ failure: 'defect' });
  });

  it('tells the ingest which delivery is the last, and dead-letters a transient failure on it instead of leaving it', async () => {
    const { ingest, lastDeliveries } = reporter({
      'flaky.csv': { status: 'failed', failure: 'transient', error: 'timeout' },
    });
    const { queue, calls } = fakeQueue();
    const event = sqsEvent(notification('flaky.csv'), notification('flaky.csv'));
    const [first, second] = event.Records;
    if (first) first.attributes.ApproximateReceiveCount = '4';
    if (second) second.attributes.ApproximateReceiveCount = '5';
    const result = await handleIngestEvent(event, { ingest, queue, log: quietLog });
    expect(lastDeliveries).toEqual([false, true]);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(calls.retried).toEqual([['h1', 40]]);
    expect(calls.deadLettered.map(([, why]) => why)).toEqual(['timeout']);
  });

  it('sends a busy or taken-over message again as a new one on its last delivery, never to the dead-letter queue', async () => {
    const { ingest } = reporter({
      'busy.csv': { status: 'in_progress', retryAfterSeconds: 300 },
      'lost.csv': { status: 'failed', failure: 'lease_lost', error: 'lost the lease' },
    });
    const { queue, calls } = fakeQueue();
    const delays: (number | undefined)[] = [];
    const send = queue.send;
    queue.send = async (body, delay) => {
      delays.push(delay);
      await send(body, delay);
    };
    const event = sqsEvent(notification('busy.csv'), notification('lost.csv'));
    for (const r of event.Records) r.attributes.ApproximateReceiveCount = '5';
    expect(await handleIngestEvent(event, { ingest, queue, log: quietLog })).toEqual({
      batchItemFailures: [],
    });
    expect(calls).toMatchObject({ retried: [], deadLettered: [] });
    expect(calls.sent.map((b) => objectsInSqsBody(b)[0]?.key)).toEqual(['busy.csv', 'lost.csv']);
    expect(delays).toEqual([300, 80]);
  });

  it('moves an unreadable message to the dead-letter queue', async () => {
    const { queue, calls } = fakeQueue();
    const result = await handleIngestEvent(sqsEvent('not json at all'), {
      ...reporter(),
      queue,
      log: quietLog,
    });
    expect(result).toEqual({ batchItemFailures: [] });
    expect(calls.deadLettered).toEqual([['not json at all', 'SQS message body is not JSON']]);
    expect(calls.reports).toEqual([undefined]);
  });

  it('sends a continuation for a part that ended at a checkpoint, records that it did, then lets its own message go', async () => {
    const { ingest } = reporter({
      'big.csv': { status: 'in_progress', versionId: 'v9', checkpoint: { part: 2, offset: 1234, line: 80 } },
    });
    const { queue, calls } = fakeQueue();
    const continued: [string | undefined, number][] = [];
    const result = await handleIngestEvent(sqsEvent(notification('big.csv')), {
      ingest,
      queue,
      continued: async (mark) => {
        // Only once the continuation is out.
        expect(calls.sent).toHaveLength(1);
        continued.push([mark.etag, mark.part]);
      },
      log: quietLog,
    });
    expect(result).toEqual({ batchItemFailures: [] });
    expect(calls.sent.map((b) => objectsInSqsBody(b)[0]?.continuation)).toEqual([
      { etag: 'etag-1', versionId: 'v9', part: 2 },
    ]);
    expect(continued).toEqual([['etag-1', 2]]);
  });

  it('fans a planned version out: a message per split, then the version marked continued', async () => {
    const splits = ['etag-1/split-0001', 'etag-1/split-0002', 'etag-1/split-0003'];
    const { ingest } = reporter({
      'big.csv': { status: 'in_progress', versionId: 'v1', fanOut: { splits, revision: 7 } },
    });
    const { queue, calls } = fakeQueue();
    const marks: unknown[] = [];
    const result = await handleIngestEvent(sqsEvent(notification('big.csv')), {
      ingest,
      queue,
      continued: async (mark) => {
        expect(calls.sent).toHaveLength(3);
        marks.push(mark);
      },
      log: quietLog,
    });
    expect(result).toEqual({ batchItemFailures: [] });
    expect(calls.sent.map((b) => objectsInSqsBody(b)[0]?.continuation)).toEqual(
      splits.map((etag) => ({ etag, versionId: 'v1', part: 1 })),
    );
    // Each split's message names the object as its notification did.
    expect(calls.sent.map((b) => objectsInSqsBody(b)[0]?.key)).toEqual(['big.csv', 'big.csv', 'big.csv']);
    expect(marks).toEqual([{ source: 's3://raw-events/big.csv', etag: 'etag-1', part: 1, revision: 7 }]);
  });

  it('asks the version to join once a split ended, before the split\u2019s message goes', async () => {
    const { ingest } = reporter({ 'big.csv': { status: 'completed', etag: 'etag-1/split-0002' } });
    const { queue, calls } = fakeQueue();
    const result = await handleIngestEvent(sqsEvent(notification('big.csv')), {
      ingest,
      queue,
      log: quietLog,
    });
    expect(result).toEqual({ batchItemFailures: [] });
    expect(calls.sent.map((b) => objectsInSqsBody(b)[0]?.continuation)).toEqual([
      { etag: 'etag-1', versionId: undefined, part: 1, join: true },
    ]);
    // The join could not be asked for: the split's message stays, and its next delivery asks again.
    const failing = fakeQueue({ failSend: true });
    const kept = await handleIngestEvent(sqsEvent(notification('big.csv')), {
      ingest,
      queue: failing.queue,
      log: quietLog,
    });
    expect(kept.batchItemFailures).toHaveLength(1);
  });

  it('dead-letters a failed join as a message that, redriven, takes the version up again', async () => {
    const { ingest } = reporter({
      'big.csv': { status: 'failed', failure: 'input', splits: { done: 2, total: 3 } },
    });
    const { queue, calls } = fakeQueue();
    const record = s3Notification('raw-events', 'big.csv').Records[0];
    if (!record) throw new Error('no record');
    const join = continuationBody({ record }, { etag: 'etag-1', versionId: undefined, part: 1, join: true });
    await handleIngestEvent(sqsEvent(join), { ingest, queue, log: quietLog });
    expect(calls.deadLettered).toHaveLength(1);
    const [body] = calls.deadLettered[0] ?? [];
    expect(objectsInSqsBody(body ?? '')[0]?.continuation).toEqual({
      etag: 'etag-1',
      versionId: undefined,
      part: 1,
    });
  });

  it('lets its message go when the continuation was sent but could not be recorded (a redelivery would resume)', async () => {
    const { ingest } = reporter({
      'big.csv': { status: 'in_progress', checkpoint: { part: 2, offset: 1, line: 2 } },
    });
    const { queue, calls } = fakeQueue();
    const result = await handleIngestEvent(sqsEvent(notification('big.csv')), {
      ingest,
      queue,
      continued: async () => {
        throw new Error('NoHostAvailableError');
      },
      log: quietLog,
    });
    expect(result).toEqual({ batchItemFailures: [] });
    expect(calls.sent).toHaveLength(1);
  });

  it('keeps its own message when the continuation could not be sent (it resumes from the checkpoint later)', async () => {
    const { ingest } = reporter({
      'big.csv': { status: 'in_progress', checkpoint: { part: 2, offset: 1, line: 2 } },
    });
    const { queue, calls } = fakeQueue({ failSend: true });
    const result = await handleIngestEvent(sqsEvent(notification('big.csv')), {
      ingest,
      queue,
      log: quietLog,
    });
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(calls.retried).toEqual([['h1', 5]]);
  });

  it('backs off a message whose ingest threw (no report), by its receive count, not the visibility timeout', async () => {
    const ingest = async (_ref: ObjectRef, _d: { lastDelivery: boolean }): Promise<IngestReport> => {
      throw new Error('All host(s) tried for query failed');
    };
    const { queue, calls } = fakeQueue();
    const event = sqsEvent(notification('a.csv'));
    const first = event.Records[0];
    if (first) first.attributes.ApproximateReceiveCount = '2';
    const result = await handleIngestEvent(event, { ingest, queue, log: quietLog });
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(calls.retried).toEqual([['h1', 10]]);
  });

  it("leaves a message whose object another delivery is ingesting until that one's claim runs out", async () => {
    const { ingest } = reporter({ 'busy.csv': { status: 'in_progress', retryAfterSeconds: 300 } });
    const { queue, calls } = fakeQueue();
    const result = await handleIngestEvent(sqsEvent(notification('busy.csv')), {
      ingest,
      queue,
      log: quietLog,
    });
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(calls.retried).toEqual([['h1', 300]]);
  });

  it('lets duplicates, ignored and superseded objects go', async () => {
    const { ingest } = reporter({
      'a.csv': { status: 'duplicate' },
      'b.csv': { status: 'ignored' },
      'c.csv': { status: 'superseded' },
    });
    const { queue, calls } = fakeQueue();
    const result = await handleIngestEvent(uploadedEvent('raw-events', 'a.csv', 'b.csv', 'c.csv'), {
      ingest,
      queue,
      log: quietLog,
    });
    expect(result).toEqual({ batchItemFailures: [] });
    expect(calls).toEqual({ sent: [], retried: [], deadLettered: [], reports: [] });
  });

  it('ignores S3 records that are not ObjectCreated', async () => {
    const body = s3Notification('raw-events', 'gone.csv');
    const first = body.Records[0];
    if (first) first.eventName = 'ObjectRemoved:Delete';
    const { seen, ingest } = reporter();
    expect(
      await handleIngestEvent(sqsEvent(JSON.stringify(body)), { ingest, queue: undefined, log: quietLog }),
    ).toEqual({
      batchItemFailures: [],
    });
    expect(seen).toEqual([]);
  });

  it('refuses a direct S3 event, which nothing deployed sends, naming the wiring it expects', async () => {
    const { seen, ingest } = reporter();
    const direct = s3Notification('raw-events', 'a.csv') as unknown as Parameters<
      typeof handleIngestEvent
    >[0];
    await expect(handleIngestEvent(direct, { ingest, queue: undefined, log: quietLog })).rejects.toThrow(
      /takes SQS events/,
    );
    expect(seen).toEqual([]);
  });
});
