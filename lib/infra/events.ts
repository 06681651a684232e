// The event flow's resources: the raw-events bucket, its ObjectCreated notifications to the ingest
// queue (for the suffixes of lib/events/formats.ts), the queue's dead-letter queue, and the bucket
// the ingest writes its reports and rejects to (its own, so its outputs never trigger an ingest).
// scripts/local/bootstrap.ts creates the same flow in LocalStack from these.
import { BUCKET_TRIGGER_SUFFIXES } from '../events/formats';
import { SPLIT_TEXTS_PREFIX } from '../ingest/version-outputs';
import type { Resource, StackNames, StackOptions } from './names';

/** How long the dead-letter queue keeps a message (SQS's longest): the window for a redrive. */
const DEAD_LETTER_RETENTION_DAYS = 14;

/** The ingest Lambda's timeout; the queue hides a message six times as long while it is worked on. */
export const INGEST_TIMEOUT_SECONDS = 900;
/**
 * Deliveries of a message before the queue moves it to the dead-letter queue (its redrive policy);
 * the ingest treats the last one as such (lib/ingest/lifecycle.ts, messageAction).
 */
export const MAX_RECEIVE_COUNT = 5;

/**
 * Both buckets hold people's data (raw rows with names; rejects are raw rows too): no public access,
 * encrypted at rest, and kept when the stack is removed or the bucket replaced, as the data must
 * not go with a mistaken `serverless remove` or rename. A removed stage leaves them to delete by hand.
 */
const keptBucket = {
  DeletionPolicy: 'Retain',
  UpdateReplacePolicy: 'Retain',
} as const;

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

/** A bucket policy refusing every request over plain HTTP, to the bucket and to its objects. */
function tlsOnly(bucketId: string, bucket: string): Resource {
  return {
    Type: 'AWS::S3::BucketPolicy',
    Properties: {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DenyPlainHttp',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      },
    },
  };
}

/**
 * Queue messages name objects and carry reports (a dead-lettered one, a failure's text): encrypted
 * at rest with SQS-managed keys, which need no key policy for S3 notifications to send.
 */
const encryptedQueue = { SqsManagedSseEnabled: true };

export function eventResources(names: StackNames): Record<string, Resource> {
  const bucketArn = `arn:aws:s3:::${names.bucket}`;
  return {
    IngestDeadLetterQueue: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: names.deadLetterQueue,
        MessageRetentionPeriod: DEAD_LETTER_RETENTION_DAYS * 86_400,
        ...encryptedQueue,
      },
    },
    IngestQueue: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: names.queue,
        ...encryptedQueue,
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
    // No lifecycle: the raw events are the source every table is loaded (and reloaded) from; how
    // long they stay is the uploader's decision, not this stack's.
    RawEventsBucket: {
      Type: 'AWS::S3::Bucket',
      ...keptBucket,
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
    RawEventsBucketPolicy: tlsOnly('RawEventsBucket', names.bucket),
  };
}

/**
 * The bucket the ingest writes its reports and rejects to. No notifications: what the ingest writes
 * here is never ingested. Rejects are raw rows, names included, kept only for someone to see what
 * an upload got wrong: they and the reports expire after opts.outputsRetentionDays (GET /ingests
 * still lists the version from the ledger; only its report link then answers 404). A rejects
 * upload whose part died before it could abort it is removed after a day (uploads take minutes).
 */
export function outputsResources(
  names: StackNames,
  opts: Pick<StackOptions, 'rejectsPrefix' | 'reportsPrefix' | 'outputsRetentionDays'>,
): Record<string, Resource> {
  const expire = (id: string, prefix: string) => ({
    Id: id,
    Status: 'Enabled',
    Prefix: prefix,
    ExpirationInDays: opts.outputsRetentionDays,
  });
  return {
    IngestOutputsBucket: {
      Type: 'AWS::S3::Bucket',
      ...keptBucket,
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
            expire('ExpireRejects', opts.rejectsPrefix),
            expire('ExpireReports', opts.reportsPrefix),
            // A split gzip object's text is deleted when the version ends; a failed version keeps
            // it for a redrive, which the dead-letter queue allows for as long as it keeps messages.
            {
              Id: 'ExpireSplitTexts',
              Status: 'Enabled',
              Prefix: SPLIT_TEXTS_PREFIX,
              ExpirationInDays: DEAD_LETTER_RETENTION_DAYS,
            },
          ],
        },
      },
    },
    IngestOutputsBucketPolicy: tlsOnly('IngestOutputsBucket', names.outputs),
  };
}
