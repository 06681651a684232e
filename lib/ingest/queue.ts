// The ingest queue as the ingest function uses it beyond receiving: it sends a continuation when a
// part ends at a checkpoint (and the sweep sends one to resume a stalled version), sets when a
// message it could not finish comes back (a backoff that grows with the receive count, instead of
// the queue's long visibility timeout), and moves a message whose version failed for good to the
// dead-letter queue, with its report.
import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface IngestQueue {
  /** Sends a message to the ingest queue, delivered after delaySeconds (at most SQS's 900). */
  send(body: string, delaySeconds?: number): Promise<void>;
  /** The received message becomes visible again after delaySeconds. */
  retryLater(receiptHandle: string, delaySeconds: number): Promise<void>;
  /**
   * Sends a message to the dead-letter queue, with why and the report of the delivery that gave up
   * (false when there is no dead-letter queue to send to).
   */
  deadLetter(body: string, reason: string, report: string | undefined): Promise<boolean>;
}

/** SQS's limit on a message's visibility timeout. */
export const MAX_VISIBILITY_SECONDS = 12 * 3600;
/** SQS's limit on a message's delay. */
export const MAX_DELAY_SECONDS = 900;

export function sqsIngestQueue(
  sqs: SQSClient,
  queueUrl: string,
  deadLetterQueueUrl: string | undefined,
): IngestQueue {
  return {
    async send(body, delaySeconds) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: body,
          ...(delaySeconds
            ? { DelaySeconds: Math.max(0, Math.min(MAX_DELAY_SECONDS, Math.round(delaySeconds))) }
            : {}),
        }),
      );
    },
    async retryLater(receiptHandle, delaySeconds) {
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: Math.max(0, Math.min(MAX_VISIBILITY_SECONDS, Math.round(delaySeconds))),
        }),
      );
    },
    async deadLetter(body, reason, report) {
      if (!deadLetterQueueUrl) return false;
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: deadLetterQueueUrl,
          MessageBody: body,
          MessageAttributes: {
            reason: { DataType: 'String', StringValue: reason.slice(0, 1000) },
            // A report is a few KB; SQS takes 256 KB per message, attributes included.
            ...(report ? { report: { DataType: 'String', StringValue: report.slice(0, 64 * 1024) } } : {}),
          },
        }),
      );
      return true;
    },
  };
}
