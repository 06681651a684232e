// What the ingest Lambda is invoked with: S3 event notifications directly, or the same delivered
// through SQS (message body = S3 event; S3's s3:TestEvent is skipped). Every record is handled;
// keys are URL-decoded as S3 encodes them ('+' is a space).
import type { S3Event, S3EventRecord, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { errorFields, type Logger } from '../log';
import type { IngestReport } from './types';

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

/** The objects an S3 event names; ObjectCreated records only. */
export function objectsInS3Event(event: Partial<S3Event>): ObjectRef[] {
  return (event.Records ?? []).filter((r) => r.eventName?.startsWith('ObjectCreated')).map(objectRef);
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
  if (!Array.isArray((parsed as { Records?: unknown }).Records)) {
    throw new Error('SQS message body is not an S3 event (no Records)');
  }
  return objectsInS3Event(parsed as S3Event);
}

function isSqsEvent(event: S3Event | SQSEvent): event is SQSEvent {
  return event.Records.length > 0 && (event.Records[0] as SQSRecord).eventSource === 'aws:sqs';
}

export class IngestFailedError extends Error {
  constructor(readonly reports: IngestReport[]) {
    super(
      `${reports.length} object(s) failed to ingest: ${reports.map((r) => `${r.source}: ${r.error ?? 'failed'}`).join('; ')}`,
    );
    this.name = 'IngestFailedError';
  }
}

export type IngestOne = (ref: ObjectRef) => Promise<IngestReport>;

async function ingestAll(refs: ObjectRef[], ingest: IngestOne): Promise<IngestReport[]> {
  const reports: IngestReport[] = [];
  for (const ref of refs) reports.push(await ingest(ref));
  return reports;
}

/**
 * Direct S3 events: throws when any object failed, so Lambda retries the event. SQS events: returns
 * the messages to retry as a partial batch failure; the rest are deleted from the queue.
 */
export async function handleIngestEvent(
  event: S3Event | SQSEvent,
  ingest: IngestOne,
  log: Logger,
): Promise<SQSBatchResponse | { reports: IngestReport[] }> {
  if (!isSqsEvent(event)) {
    const reports = await ingestAll(objectsInS3Event(event), ingest);
    const failed = reports.filter((r) => r.status === 'failed');
    if (failed.length > 0) throw new IngestFailedError(failed);
    return { reports };
  }
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const message of event.Records) {
    try {
      const refs = objectsInSqsBody(message.body);
      if (refs.length === 0) {
        log.info('skipping a message without objects (s3:TestEvent)', { messageId: message.messageId });
        continue;
      }
      const failed = (await ingestAll(refs, ingest)).filter((r) => r.status === 'failed');
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
