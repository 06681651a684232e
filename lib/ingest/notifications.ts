// What the ingest Lambda is invoked with: SQS messages whose bodies are S3 event notifications, the
// only wiring serverless.yml deploys (bucket → queue → function). Every message and every record in
// it is handled; keys are URL-decoded as S3 encodes them ('+' is a space); S3's s3:TestEvent is
// skipped. A message whose object failed is reported back as a batch item failure, so the queue
// delivers it again; the others are deleted.
import type { S3Event, S3EventRecord, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { errorFields, type Logger } from '../log';
import type { IngestReport } from './report';

export interface ObjectRef {
  bucket: string;
  key: string;
}

export function decodeS3Key(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

function objectRef(record: S3EventRecord): ObjectRef {
  return { bucket: record.s3.bucket.name, key: decodeS3Key(record.s3.object.key) };
}

/** The objects an SQS message body names; none for S3's test event. Throws on a body that is neither. */
export function objectsInSqsBody(body: string): ObjectRef[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new Error('SQS message body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null) throw new Error('SQS message body is not an S3 event');
  if ((parsed as { Event?: unknown }).Event === 's3:TestEvent') return [];
  const records = (parsed as Partial<S3Event>).Records;
  if (!Array.isArray(records)) throw new Error('SQS message body is not an S3 event (no Records)');
  return records.filter((r) => r.eventName?.startsWith('ObjectCreated')).map(objectRef);
}

class IngestFailedError extends Error {
  constructor(readonly reports: IngestReport[]) {
    super(
      `${reports.length} object(s) failed to ingest: ${reports.map((r) => `${r.source}: ${r.error ?? 'failed'}`).join('; ')}`,
    );
    this.name = 'IngestFailedError';
  }
}

export type IngestOne = (ref: ObjectRef) => Promise<IngestReport>;

function isSqsEvent(event: unknown): event is SQSEvent {
  const records = (event as Partial<SQSEvent> | undefined)?.Records;
  return Array.isArray(records) && records.every((r) => r?.eventSource === 'aws:sqs');
}

/** The messages to retry, as a partial batch failure; the queue deletes the rest. */
export async function handleIngestEvent(
  event: SQSEvent,
  ingest: IngestOne,
  log: Logger,
): Promise<SQSBatchResponse> {
  if (!isSqsEvent(event)) {
    // Not a retryable state: nothing deployed invokes the function this way.
    throw new Error(
      'the ingest function takes SQS events from its queue (S3 notifications delivered through SQS); ' +
        'this event is not one: wire the bucket to the ingest queue as serverless.yml does',
    );
  }
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const message of event.Records) {
    try {
      const refs = objectsInSqsBody(message.body);
      if (refs.length === 0) {
        log.info('skipping a message without objects (s3:TestEvent)', { messageId: message.messageId });
        continue;
      }
      const failed: IngestReport[] = [];
      for (const ref of refs) {
        const report = await ingest(ref);
        if (report.status === 'failed') failed.push(report);
      }
      if (failed.length > 0) throw new IngestFailedError(failed);
    } catch (err: unknown) {
      log.error('message failed; it will be retried', {
        messageId: message.messageId,
        err: errorFields(err),
      });
      batchItemFailures.push({ itemIdentifier: message.messageId });
    }
  }
  return { batchItemFailures };
}
