import {
  CreateBucketCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { S3Event } from 'aws-lambda';
import { s3Client, sqsClient, uniqueName } from './support/aws';

interface Received {
  testEvents: number;
  created: { key: string; size: number; eventName: string }[];
}

async function drain(queueUrl: string, sqs: ReturnType<typeof sqsClient>, until: (r: Received) => boolean) {
  const received: Received = { testEvents: 0, created: [] };
  const deadline = Date.now() + 30_000;
  while (!until(received) && Date.now() < deadline) {
    const res = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }),
    );
    for (const message of res.Messages ?? []) {
      const body = JSON.parse(message.Body ?? '{}') as Partial<S3Event> & { Event?: string };
      if (body.Event === 's3:TestEvent') received.testEvents += 1;
      for (const record of body.Records ?? []) {
        received.created.push({
          key: decodeURIComponent(record.s3.object.key.replace(/\+/g, ' ')),
          size: record.s3.object.size,
          eventName: record.eventName,
        });
      }
    }
  }
  return received;
}

describe('S3 ObjectCreated notifications delivered to an SQS queue (LocalStack)', () => {
  const s3 = s3Client();
  const sqs = sqsClient();
  const bucket = uniqueName('it-notify');
  let queueUrl = '';

  beforeAll(async () => {
    const queue = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('it-events') }));
    queueUrl = queue.QueueUrl ?? '';
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: bucket,
        NotificationConfiguration: {
          QueueConfigurations: [
            {
              QueueArn: attrs.Attributes?.QueueArn,
              Events: ['s3:ObjectCreated:*'],
              Filter: { Key: { FilterRules: [{ Name: 'suffix', Value: '.csv' }] } },
            },
          ],
        },
      }),
    );
  });
  afterAll(() => {
    s3.destroy();
    sqs.destroy();
  });

  it('delivers one ObjectCreated record per matching upload, with the key URL-encoded', async () => {
    const key = 'incoming/2018-11-01 events+1.csv';
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'incoming/notes.txt', Body: 'not an event log' }),
    );
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'artist,song\n' }));

    const received = await drain(queueUrl, sqs, (r) => r.created.length > 0);

    expect(received.created).toEqual([{ key, size: 12, eventName: 'ObjectCreated:Put' }]);
    // The suffix filter kept the .txt upload out of the queue.
    expect(received.created.some((c) => c.key.endsWith('.txt'))).toBe(false);
  });
});
