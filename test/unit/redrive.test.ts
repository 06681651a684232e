// npm run redrive's logic against a fake SQS: the dead letters listed without being taken, the
// objects they name decoded as the ingest decodes them, the move task started towards the ingest
// queue and watched to its end, what is printed, and which queues and endpoint the options mean.
import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  ReceiveMessageCommand,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { UsageError } from '../../scripts/cli';
import { s3Notification } from '../../scripts/local/lambda-events';
import {
  describeRedrive,
  LOCALSTACK_ENDPOINT,
  moveDeadLetters,
  peekDeadLetters,
  queueUrls,
  type RedriveSqs,
  redrive,
  redriveSucceeded,
  redriveTarget,
} from '../../scripts/local/redrive';

const DLQ = 'http://127.0.0.1:4566/queue/us-east-1/000000000000/t-dlq';
const QUEUE = 'http://127.0.0.1:4566/queue/us-east-1/000000000000/t';
const arn = (url: string) => `arn:aws:sqs:us-east-1:000000000000:${url.split('/').pop()}`;

interface FakeMessage {
  id: string;
  body: string;
  reason?: string;
  hidden: boolean;
}

/** Two queues, their dead letters, and SQS's move tasks, as far as the redrive uses them. */
function fakeSqs(
  bodies: { body: string; reason?: string }[],
  opts: { taskEnds?: string; runningPolls?: number } = {},
) {
  const dlq: FakeMessage[] = bodies.map((b, i) => ({ id: `m${i}`, ...b, hidden: false }));
  const queue: FakeMessage[] = [];
  const tasks: ListMessageMoveTasksResultEntry[] = [
    // An earlier task from the same queue: never mistaken for this one.
    { Status: 'COMPLETED', SourceArn: arn(DLQ), ApproximateNumberOfMessagesMoved: 7, StartedTimestamp: 1 },
  ];
  const calls: string[] = [];
  let polls = 0;
  const sqs = {
    async send(command: unknown) {
      calls.push((command as object).constructor.name);
      if (command instanceof ReceiveMessageCommand) {
        const visible = dlq.filter((m) => !m.hidden).slice(0, command.input.MaxNumberOfMessages ?? 1);
        for (const m of visible) m.hidden = true;
        return {
          Messages: visible.map((m) => ({
            MessageId: m.id,
            ReceiptHandle: `h-${m.id}`,
            Body: m.body,
            ...(m.reason
              ? { MessageAttributes: { reason: { DataType: 'String', StringValue: m.reason } } }
              : {}),
          })),
        };
      }
      if (command instanceof ChangeMessageVisibilityBatchCommand) {
        for (const e of command.input.Entries ?? []) {
          const m = dlq.find((x) => `h-${x.id}` === e.ReceiptHandle);
          if (m && e.VisibilityTimeout === 0) m.hidden = false;
        }
        return { Successful: command.input.Entries?.map((e) => ({ Id: e.Id })), Failed: [] };
      }
      if (command instanceof GetQueueAttributesCommand) {
        return { Attributes: { QueueArn: arn(command.input.QueueUrl ?? '') } };
      }
      if (command instanceof GetQueueUrlCommand) {
        const name = command.input.QueueName ?? '';
        if (!name.startsWith('tracklog-local-'))
          throw Object.assign(new Error('nope'), { name: 'QueueDoesNotExist' });
        return { QueueUrl: `http://127.0.0.1:4566/queue/us-east-1/000000000000/${name}` };
      }
      if (command instanceof StartMessageMoveTaskCommand) {
        expect(command.input).toEqual({ SourceArn: arn(DLQ), DestinationArn: arn(QUEUE) });
        const moved = dlq.filter((m) => !m.hidden);
        tasks.unshift({
          Status: 'RUNNING',
          TaskHandle: 'task-2',
          SourceArn: arn(DLQ),
          DestinationArn: arn(QUEUE),
          ApproximateNumberOfMessagesMoved: 0,
          StartedTimestamp: 2,
        });
        queue.push(...moved);
        dlq.splice(0, dlq.length, ...dlq.filter((m) => m.hidden));
        return { TaskHandle: 'task-2' };
      }
      if (command instanceof ListMessageMoveTasksCommand) {
        const current = tasks[0];
        if (current?.TaskHandle === 'task-2' && ++polls > (opts.runningPolls ?? 1)) {
          // A finished task is listed without its handle.
          tasks[0] = {
            Status: opts.taskEnds ?? 'COMPLETED',
            SourceArn: arn(DLQ),
            DestinationArn: arn(QUEUE),
            ApproximateNumberOfMessagesMoved: queue.length,
            StartedTimestamp: 2,
            ...(opts.taskEnds === 'FAILED' ? { FailureReason: 'AccessDenied' } : {}),
          };
        }
        return { Results: tasks.map((t) => ({ ...t })) };
      }
      throw new Error(`unexpected ${(command as object).constructor.name}`);
    },
  };
  return { sqs: sqs as unknown as RedriveSqs, dlq, queue, calls };
}

const body = (...keys: string[]) => JSON.stringify(s3Notification('raw', ...keys));
const noSleep = async () => undefined;

describe('peekDeadLetters', () => {
  it('lists every message with the objects it names and why it is there, and leaves them in the queue', async () => {
    const { sqs, dlq } = fakeSqs([
      { body: body('incoming/day one.csv'), reason: 'not an event log' },
      { body: body('incoming/a.csv', 'incoming/b.json') },
      { body: 'garbage' },
      { body: JSON.stringify({ Event: 's3:TestEvent' }) },
      ...Array.from({ length: 11 }, (_, i) => ({ body: body(`incoming/more-${i}.csv`) })),
    ]);
    const letters = await peekDeadLetters(sqs, DLQ);
    expect(letters).toHaveLength(15);
    expect(letters[0]).toEqual({
      messageId: 'm0',
      objects: ['s3://raw/incoming/day one.csv'],
      reason: 'not an event log',
      unreadable: undefined,
    });
    expect(letters[1]?.objects).toEqual(['s3://raw/incoming/a.csv', 's3://raw/incoming/b.json']);
    expect(letters[2]).toMatchObject({ objects: [], unreadable: 'SQS message body is not JSON' });
    expect(letters[3]).toMatchObject({ objects: [], unreadable: undefined });
    expect(dlq.every((m) => !m.hidden)).toBe(true);
  });

  it('stops at max, and releases what it looked at', async () => {
    const { sqs, dlq } = fakeSqs(Array.from({ length: 25 }, (_, i) => ({ body: body(`k${i}.csv`) })));
    expect(await peekDeadLetters(sqs, DLQ, { max: 12 })).toHaveLength(12);
    expect(dlq.filter((m) => m.hidden)).toEqual([]);
  });
});

describe('moveDeadLetters', () => {
  it('starts a move task to the ingest queue and waits until it is done', async () => {
    const { sqs, queue, dlq } = fakeSqs([{ body: body('a.csv') }, { body: body('b.csv') }], {
      runningPolls: 3,
    });
    const result = await moveDeadLetters(
      sqs,
      { queueUrl: QUEUE, deadLetterQueueUrl: DLQ },
      { sleep: noSleep },
    );
    expect(result).toEqual({ status: 'COMPLETED', moved: 2, failureReason: undefined });
    expect(queue).toHaveLength(2);
    expect(dlq).toHaveLength(0);
  });

  it("reports a task that failed with SQS's reason", async () => {
    const { sqs } = fakeSqs([{ body: body('a.csv') }], { taskEnds: 'FAILED' });
    const result = await moveDeadLetters(
      sqs,
      { queueUrl: QUEUE, deadLetterQueueUrl: DLQ },
      { sleep: noSleep },
    );
    expect(result).toMatchObject({ status: 'FAILED', failureReason: 'AccessDenied' });
  });

  it('gives up waiting at the timeout and says the task still runs', async () => {
    const { sqs } = fakeSqs([{ body: body('a.csv') }], { runningPolls: 1e9 });
    let clock = 0;
    const result = await moveDeadLetters(
      sqs,
      { queueUrl: QUEUE, deadLetterQueueUrl: DLQ },
      { timeoutMs: 5000, now: () => clock, sleep: async (ms) => (clock += ms) },
    );
    expect(result.status).toBe('RUNNING');
  });
});

describe('redrive', () => {
  const queues = { queueUrl: QUEUE, deadLetterQueueUrl: DLQ };

  it('moves nothing on a dry run', async () => {
    const { sqs, calls, dlq } = fakeSqs([{ body: body('incoming/x.csv'), reason: 'not UTF-8' }]);
    const result = await redrive(sqs, queues, { dryRun: true });
    expect(calls).not.toContain('StartMessageMoveTaskCommand');
    expect(dlq).toHaveLength(1);
    expect(redriveSucceeded(result)).toBe(true);
    expect(describeRedrive(result, true)).toEqual([
      `1 message(s) in the dead-letter queue ${DLQ} (dry run: nothing moved):`,
      '  s3://raw/incoming/x.csv\n      was: not UTF-8',
    ]);
  });

  it('moves them and says how many and which objects', async () => {
    const { sqs } = fakeSqs([{ body: body('incoming/x.csv') }, { body: 'garbage' }]);
    const result = await redrive(sqs, queues, { dryRun: false, sleep: noSleep });
    expect(redriveSucceeded(result)).toBe(true);
    expect(describeRedrive(result, false)).toEqual([
      `moved 2 message(s) from ${DLQ} to ${QUEUE} (SQS message move task, COMPLETED):`,
      '  s3://raw/incoming/x.csv',
      '  message m1, not an S3 notification: SQS message body is not JSON',
      'the ingest takes them up again; each outcome lands in reports/<key>.json of the outputs bucket',
    ]);
  });

  it('starts no task when the dead-letter queue is empty', async () => {
    const { sqs, calls } = fakeSqs([]);
    const result = await redrive(sqs, queues, { dryRun: false });
    expect(calls).not.toContain('StartMessageMoveTaskCommand');
    expect(describeRedrive(result, false)).toEqual([
      `the dead-letter queue ${DLQ} is empty: nothing to redrive`,
    ]);
  });

  it('fails when the task failed', async () => {
    const { sqs } = fakeSqs([{ body: body('a.csv') }], { taskEnds: 'FAILED' });
    const result = await redrive(sqs, queues, { dryRun: false, sleep: noSleep });
    expect(redriveSucceeded(result)).toBe(false);
    expect(describeRedrive(result, false)[0]).toContain('(SQS message move task, FAILED: AccessDenied)');
  });
});

describe('which queues, where', () => {
  it("defaults to the local stage's queues in LocalStack", () => {
    expect(redriveTarget({}, {})).toEqual({
      queues: { queue: 'tracklog-local-ingest', deadLetterQueue: 'tracklog-local-ingest-dlq' },
      endpoint: LOCALSTACK_ENDPOINT,
      region: 'us-east-1',
    });
  });

  it('goes to AWS for another stage when AWS_ENDPOINT_URL is unset, and to the endpoint when set', () => {
    expect(redriveTarget({ stage: 'prod' }, { AWS_REGION: 'eu-west-1' })).toEqual({
      queues: { queue: 'tracklog-prod-ingest', deadLetterQueue: 'tracklog-prod-ingest-dlq' },
      endpoint: undefined,
      region: 'eu-west-1',
    });
    expect(
      redriveTarget({ stage: 'prod', service: 'other' }, { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' }),
    ).toMatchObject({ queues: { queue: 'other-prod-ingest' }, endpoint: 'http://127.0.0.1:9' });
  });

  it("takes queue URLs as given, on their own host unless that is AWS's (then in the URL's region)", () => {
    expect(redriveTarget({ queueUrl: QUEUE, deadLetterQueueUrl: DLQ }, {})).toEqual({
      queues: { queueUrl: QUEUE, deadLetterQueueUrl: DLQ },
      endpoint: 'http://127.0.0.1:4566',
      region: 'us-east-1',
    });
    const aws = 'https://sqs.eu-central-1.amazonaws.com/123456789012/tracklog-prod-ingest';
    expect(redriveTarget({ queueUrl: aws, deadLetterQueueUrl: `${aws}-dlq` }, {})).toMatchObject({
      endpoint: undefined,
      region: 'eu-central-1',
    });
  });

  it.each([
    [{ queueUrl: QUEUE }, '--queue-url and --dead-letter-queue-url go together'],
    [
      { queueUrl: QUEUE, deadLetterQueueUrl: DLQ, stage: 'prod' },
      'either the queue URLs or --stage/--service',
    ],
    [{ queueUrl: 'x', deadLetterQueueUrl: 'y' }, 'must be URLs'],
  ])('refuses %j', (opts, message) => {
    expect(() => redriveTarget(opts, {})).toThrow(UsageError);
    expect(() => redriveTarget(opts, {})).toThrow(message);
  });

  it("looks up a stack's queue URLs by name, and says when there is no such queue", async () => {
    const { sqs } = fakeSqs([]);
    await expect(
      queueUrls(sqs, { queue: 'tracklog-local-ingest', deadLetterQueue: 'tracklog-local-ingest-dlq' }),
    ).resolves.toEqual({
      queueUrl: 'http://127.0.0.1:4566/queue/us-east-1/000000000000/tracklog-local-ingest',
      deadLetterQueueUrl: 'http://127.0.0.1:4566/queue/us-east-1/000000000000/tracklog-local-ingest-dlq',
    });
    await expect(
      queueUrls(sqs, { queue: 'x-prod-ingest', deadLetterQueue: 'x-prod-ingest-dlq' }),
    ).rejects.toThrow('there is no queue x-prod-ingest');
  });
});
