// The event flow's resources: the raw-events bucket, its ObjectCreated notifications to the ingest
// queue (for the suffixes of lib/events/formats.ts), the queue's dead-letter queue, and the bucket
// the ingest writes its reports and rejects to (its own, so its outputs never trigger an ingest).
// scripts/local/bootstrap.ts creates the same flow in LocalStack from these.
import { BUCKET_TRIGGER_SUFFIXES } from '../events/formats';
import type { Resource, StackNames } from './names';

/** The ingest Lambda's timeout; the queue hides a message six times as long while it is worked on. */
export const INGEST_TIMEOUT_SECONDS = 900;
/**
 * Deliveries of a message before the queue moves it to the dead-letter queue (its redrive policy);
 * the ingest treats the last one as such (lib/ingest/lifecycle.ts, messageAction).
 */
export const MAX_RECEIVE_COUNT = 5;

/** No public access, encrypted at rest. */
const privateBucket = {
  PublicAccessBlockConfiguration: {
    BlockPublicAcls: true,
    BlockPublicPolicy: true,
    IgnorePublicAcls: true,
    RestrictPublicBuckets: true,
  },
  BucketEncryption: {
    ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
  },
};

export function eventResources(names: StackNames): Record<string, Resource> {
  const bucketArn = `arn:aws:s3:::${names.bucket}`;
  return {
    IngestDeadLetterQueue: {
      Type: 'AWS::SQS::Queue',
      Properties: { QueueName: names.deadLetterQueue, MessageRetentionPeriod: 1209600 },
    },
    IngestQueue: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: names.queue,
        VisibilityTimeout: INGEST_TIMEOUT_SECONDS * 6,
        MessageRetentionPeriod: 1209600,
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': ['IngestDeadLetterQueue', 'Arn'] },
          maxReceiveCount: MAX_RECEIVE_COUNT,
        },
      },
    },
    IngestQueuePolicy: {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: [{ Ref: 'IngestQueue' }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'RawEventsBucketNotifications',
              Effect: 'Allow',
              Principal: { Service: 's3.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: { 'Fn::GetAtt': ['IngestQueue', 'Arn'] },
              Condition: {
                ArnEquals: { 'aws:SourceArn': bucketArn },
                StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              },
            },
          ],
        },
      },
    },
    RawEventsBucket: {
      Type: 'AWS::S3::Bucket',
      DependsOn: ['IngestQueuePolicy'],
      Properties: {
        BucketName: names.bucket,
        ...privateBucket,
        NotificationConfiguration: {
          QueueConfigurations: BUCKET_TRIGGER_SUFFIXES.map((suffix) => ({
            Event: 's3:ObjectCreated:*',
            Queue: { 'Fn::GetAtt': ['IngestQueue', 'Arn'] },
            Filter: { S3Key: { Rules: [{ Name: 'suffix', Value: suffix }] } },
          })),
        },
      },
    },
    // No notifications: what the ingest writes here is never ingested. A rejects upload whose
    // part died before it could abort it is removed after a day (uploads take minutes).
    IngestOutputsBucket: {
      Type: 'AWS::S3::Bucket',
      Properties: {
        BucketName: names.outputs,
        ...privateBucket,
        LifecycleConfiguration: {
          Rules: [
            {
              Id: 'AbortIncompleteRejectsUploads',
              Status: 'Enabled',
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
            },
          ],
        },
      },
    },
  };
}
