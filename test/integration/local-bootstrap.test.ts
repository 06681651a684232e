// The local event flow's bootstrap against the real LocalStack: the queue hides a message as long as
// the deployed one does, also when an older bootstrap already created it with other values.
import { randomBytes } from 'node:crypto';
import { DeleteBucketCommand } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
} from '@aws-sdk/client-sqs';
import { INGEST_TIMEOUT_SECONDS, MAX_RECEIVE_COUNT } from '../../lib/infra/events';
import { stackNames } from '../../lib/infra/names';
import { bootstrapLocalFlow } from '../../scripts/local/bootstrap';
import { s3Client, sqsClient } from './support/aws';

describe('bootstrapLocalFlow', () => {
  const s3 = s3Client();
  const sqs = sqsClient();
  const names = stackNames('tracklog', `boot-${randomBytes(4).toString('hex')}`);

  afterAll(async () => {
    for (const queue of [names.queue, names.deadLetterQueue]) {
      const url = await sqs.send(new GetQueueUrlCommand({ QueueName: queue })).catch(() => undefined);
      if (url?.QueueUrl) await sqs.send(new DeleteQueueCommand({ QueueUrl: url.QueueUrl }));
    }
    for (const bucket of [names.bucket, names.outputs])
      await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
    s3.destroy();
    sqs.destroy();
  });

  const attributes = async (queueUrl: string) =>
    (
      await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ['VisibilityTimeout', 'RedrivePolicy'],
        }),
      )
    ).Attributes ?? {};

  it('gives a queue an older bootstrap made (300 s) the deployed visibility timeout, six times the ingest timeout', async () => {
    await sqs.send(
      new CreateQueueCommand({ QueueName: names.queue, Attributes: { VisibilityTimeout: '300' } }),
    );
    const flow = await bootstrapLocalFlow(s3, sqs, names);
    const attrs = await attributes(flow.queueUrl);
    expect(Number(attrs.VisibilityTimeout)).toBe(INGEST_TIMEOUT_SECONDS * 6);
    expect(JSON.parse(attrs.RedrivePolicy ?? '{}')).toMatchObject({ maxReceiveCount: MAX_RECEIVE_COUNT });
  });

  it('can run again and again: same queue, same values', async () => {
    const first = await bootstrapLocalFlow(s3, sqs, names);
    const second = await bootstrapLocalFlow(s3, sqs, names);
    expect(second).toEqual(first);
    expect(Number((await attributes(second.queueUrl)).VisibilityTimeout)).toBe(INGEST_TIMEOUT_SECONDS * 6);
  });
});
