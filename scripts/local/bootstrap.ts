// Creates, idempotently, the local event flow in LocalStack: the raw-events bucket, the ingest queue
// with its dead-letter queue, and the bucket's ObjectCreated notifications to the queue (the same
// suffixes and names as the deployed stack, from lib/infra/events.ts).
import {
  CreateBucketCommand,
  PutBucketNotificationConfigurationCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { BUCKET_TRIGGER_SUFFIXES } from '../../lib/events/formats';
import { eventResources, MAX_RECEIVE_COUNT } from '../../lib/infra/events';
import type { StackNames } from '../../lib/infra/names';

export interface LocalFlow {
  bucket: string;
  /** Where the ingest writes its reports and rejects (no notifications). */
  outputs: string;
  queueUrl: string;
  queueArn: string;
  deadLetterQueueUrl: string;
}

/**
 * The deployed queue's visibility timeout (six times the ingest function's timeout), read from the
 * template that deploys it: shorter, a long ingest would be delivered again while still running. A
 * failed message still comes back within seconds: the forwarder shortens its timeout.
 */
function ingestVisibilityTimeoutSeconds(names: StackNames): number {
  const timeout = eventResources(names).IngestQueue?.Properties.VisibilityTimeout;
  if (typeof timeout !== 'number') throw new Error('the IngestQueue resource has no VisibilityTimeout');
  return timeout;
}

async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const res = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = res.Attributes?.QueueArn;
  if (!arn) throw new Error(`queue ${url} has no ARN`);
  return arn;
}

export async function bootstrapLocalFlow(
  s3: S3Client,
  sqs: SQSClient,
  names: StackNames,
): Promise<LocalFlow> {
  for (const bucket of [names.bucket, names.outputs]) {
    try {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (err: unknown) {
      if ((err as { name?: string }).name !== 'BucketAlreadyOwnedByYou') throw err;
    }
  }
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: names.deadLetterQueue }));
  const deadLetterQueueUrl = dlq.QueueUrl ?? '';
  // Created bare, then its attributes set: CreateQueue with attributes fails (QueueNameExists) on a
  // queue an earlier version created with other values, while setting them is idempotent.
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: names.queue }));
  const queueUrl = queue.QueueUrl ?? '';
  await sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: queueUrl,
      Attributes: {
        VisibilityTimeout: String(ingestVisibilityTimeoutSeconds(names)),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: await queueArn(sqs, deadLetterQueueUrl),
          maxReceiveCount: MAX_RECEIVE_COUNT,
        }),
      },
    }),
  );
  const arn = await queueArn(sqs, queueUrl);
  await s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: names.bucket,
      NotificationConfiguration: {
        QueueConfigurations: BUCKET_TRIGGER_SUFFIXES.map((suffix) => ({
          QueueArn: arn,
          Events: ['s3:ObjectCreated:*'],
          Filter: { Key: { FilterRules: [{ Name: 'suffix', Value: suffix }] } },
        })),
      },
    }),
  );
  return { bucket: names.bucket, outputs: names.outputs, queueUrl, queueArn: arn, deadLetterQueueUrl };
}
