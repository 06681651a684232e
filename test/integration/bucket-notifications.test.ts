// The bucket notifications the local event flow's bootstrap configures, against the real LocalStack:
// exactly the uploads whose keys end in a trigger suffix reach the ingest queue, each as one
// ObjectCreated record with its key URL-encoded, as the deployed bucket sends them.
import { randomBytes } from 'node:crypto';
import { DeleteBucketCommand, DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { BUCKET_TRIGGER_SUFFIXES, triggersIngest } from '../../lib/events/formats';
import { stackNames } from '../../lib/infra/names';
import { decodeS3Key, objectsInSqsBody } from '../../lib/ingest/notifications';
import { bootstrapLocalFlow, type LocalFlow } from '../../scripts/local/bootstrap';
import { s3Client, sqsClient } from './support/aws';

describe('the bucket notifications of the local event flow', () => {
  const s3 = s3Client();
  const sqs = sqsClient();
  const names = stackNames('tracklog', `notify-${randomBytes(4).toString('hex')}`);
  const keys = [
    ...BUCKET_TRIGGER_SUFFIXES.map((suffix) => `incoming/2018-11-01 events+1${suffix}`),
    'incoming/upper.CSV',
    'incoming/day.csv.GZ',
    'incoming/notes.txt',
  ];
  let flow: LocalFlow;

  beforeAll(async () => {
    flow = await bootstrapLocalFlow(s3, sqs, names);
  });
  afterAll(async () => {
    for (const key of keys) await s3.send(new DeleteObjectCommand({ Bucket: names.bucket, Key: key }));
    for (const bucket of [names.bucket, names.outputs])
      await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
    for (const url of [flow.queueUrl, flow.deadLetterQueueUrl])
      await sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
    s3.destroy();
    sqs.destroy();
  });

  it('delivers one ObjectCreated record per upload with a trigger suffix, and nothing for the rest', async () => {
    for (const key of keys)
      await s3.send(new PutObjectCommand({ Bucket: names.bucket, Key: key, Body: 'artist,song\n' }));
    const expected = keys.filter(triggersIngest);
    expect(expected).toHaveLength(BUCKET_TRIGGER_SUFFIXES.length);

    const delivered: string[] = [];
    const encoded: string[] = [];
    // Wait for the expected ones, then a little longer: a key that should not arrive must have had time to.
    let quietUntil = Number.POSITIVE_INFINITY;
    const deadline = Date.now() + 30_000;
    while (Date.now() < Math.min(deadline, quietUntil)) {
      const res = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: flow.queueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }),
      );
      for (const m of res.Messages ?? []) {
        delivered.push(...objectsInSqsBody(m.Body ?? '').map((o) => o.key));
        encoded.push(
          ...(JSON.parse(m.Body ?? '{}').Records ?? []).map(
            (r: { s3: { object: { key: string } } }) => r.s3.object.key,
          ),
        );
      }
      if (delivered.length >= expected.length && quietUntil === Number.POSITIVE_INFINITY)
        quietUntil = Date.now() + 2000;
    }
    expect(delivered.sort()).toEqual([...expected].sort());
    // Keys arrive URL-encoded (AWS writes a space as '+', LocalStack as %20); the ingest decodes both.
    expect(encoded.every((k) => k.includes('events%2B1'))).toBe(true);
    expect(encoded.map(decodeS3Key).sort()).toEqual([...expected].sort());
  });
});
