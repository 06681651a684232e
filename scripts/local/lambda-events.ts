// Lambda events shaped as AWS delivers them to the ingest: S3 ObjectCreated notifications, as the
// bodies of SQS messages, in the event Lambda's SQS event source makes of received messages. The
// local forwarder, the benchmark and the tests all build their events here, so every one of them
// drives the path the deployed function gets.
import type { Message } from '@aws-sdk/client-sqs';
import type { S3Event, SQSEvent } from 'aws-lambda';

/** S3 URL-encodes keys in notifications, with '+' for spaces. */
function encodeS3Key(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

/** The ObjectCreated notification S3 sends to the queue for these keys (one record each). */
export function s3Notification(bucket: string, ...keys: string[]): S3Event {
  return {
    Records: keys.map((key) => ({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventTime: new Date().toISOString(),
      eventName: 'ObjectCreated:Put',
      userIdentity: { principalId: 'local' },
      requestParameters: { sourceIPAddress: '127.0.0.1' },
      responseElements: { 'x-amz-request-id': 'r', 'x-amz-id-2': 'i' },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'ingest',
        bucket: { name: bucket, ownerIdentity: { principalId: 'o' }, arn: `arn:aws:s3:::${bucket}` },
        object: { key: encodeS3Key(key), size: 0, eTag: '', sequencer: '1' },
      },
    })),
  };
}

/** The event Lambda's SQS event source delivers for these received messages. */
export function sqsEventOf(messages: readonly Message[], queueArn: string): SQSEvent {
  return {
    Records: messages.map((m) => ({
      messageId: m.MessageId ?? '',
      receiptHandle: m.ReceiptHandle ?? '',
      body: m.Body ?? '',
      attributes: {
        ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
        SentTimestamp: m.Attributes?.SentTimestamp ?? '0',
        SenderId: m.Attributes?.SenderId ?? '',
        ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? '0',
      },
      messageAttributes: {},
      md5OfBody: m.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: queueArn.split(':')[3] ?? 'us-east-1',
    })),
  };
}

const LOCAL_QUEUE_ARN = 'arn:aws:sqs:us-east-1:000000000000:ingest';

/** An SQS event of messages with these bodies (message ids m1, m2, …). */
export function sqsEvent(...bodies: string[]): SQSEvent {
  return sqsEventOf(
    bodies.map((body, i) => ({ MessageId: `m${i + 1}`, ReceiptHandle: `h${i + 1}`, Body: body })),
    LOCAL_QUEUE_ARN,
  );
}

/** What the ingest function receives once these objects were uploaded: one message per object. */
export function uploadedEvent(bucket: string, ...keys: string[]): SQSEvent {
  return sqsEvent(...keys.map((key) => JSON.stringify(s3Notification(bucket, key))));
}
