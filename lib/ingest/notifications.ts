// What the ingest Lambda is invoked with: SQS messages whose bodies are S3 event notifications (the
// only wiring serverless.yml deploys: bucket → queue → function), or continuations the ingest sent
// itself (the same notification plus the checkpoint's part). Every message and every record in it
// is handled; keys are URL-decoded as S3 encodes them ('+' is a space); S3's s3:TestEvent is
// skipped. What happens to a message depends on how its objects' ingests ended:
// - done (completed, duplicate, ignored, superseded): deleted;
// - a part ended at a checkpoint: a continuation is sent, then the message deleted;
// - failed for a reason that may pass, or busy in another delivery: left for a later delivery, back
//   after a backoff that grows with its receive count (the dead-letter queue takes it after the
//   queue's maxReceiveCount);
// - failed because the object can never be ingested as it is (input): moved to the dead-letter
//   queue at once, where operators see it (and can redrive it once a fixed version is uploaded).
import type { S3Event, S3EventRecord, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { errorFields, type Logger } from '../log';
import type { IngestQueue } from './queue';
import type { IngestReport } from './report';
import type { ObjectVersion } from './types';

/** The part of a continuation message that is not S3's: which version and part to continue. */
export interface ContinuationRef extends ObjectVersion {
  part: number;
}

export interface ObjectRef {
  bucket: string;
  key: string;
  continuation?: ContinuationRef;
  /** The S3 record, to send on (a continuation, the dead-letter queue). */
  record: S3EventRecord;
}

type Body = Partial<S3Event> & { Event?: unknown; tracklogContinuation?: Partial<ContinuationRef> };

export function decodeS3Key(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

function continuationOf(body: Body): ContinuationRef | undefined {
  const c = body.tracklogContinuation;
  if (c === undefined) return undefined;
  if (typeof c.etag !== 'string' || !Number.isInteger(c.part) || (c.part ?? 0) < 2)
    throw new Error('a continuation message needs an etag and a part number >= 2');
  return {
    etag: c.etag,
    versionId: typeof c.versionId === 'string' ? c.versionId : undefined,
    part: c.part as number,
  };
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
  const message = parsed as Body;
  if (message.Event === 's3:TestEvent') return [];
  if (!Array.isArray(message.Records)) throw new Error('SQS message body is not an S3 event (no Records)');
  const continuation = continuationOf(message);
  return message.Records.filter((r) => r.eventName?.startsWith('ObjectCreated')).map((record) => ({
    bucket: record.s3.bucket.name,
    key: decodeS3Key(record.s3.object.key),
    ...(continuation ? { continuation } : {}),
    record,
  }));
}

/** The body of a continuation: the object's own notification record, and where to go on. */
export function continuationBody(ref: ObjectRef, next: ContinuationRef): string {
  return JSON.stringify({ Records: [ref.record], tracklogContinuation: next });
}

function isSqsEvent(event: unknown): event is SQSEvent {
  const records = (event as Partial<SQSEvent> | undefined)?.Records;
  return Array.isArray(records) && records.every((r) => r?.eventSource === 'aws:sqs');
}

/** The first retry comes back after 5 s, then 10, 20, … up to 15 minutes. */
export function retryDelaySeconds(receiveCount: number): number {
  return Math.min(900, 5 * 2 ** Math.max(0, receiveCount - 1));
}

/** How many times the queue has delivered this message, this delivery included. */
function receiveCount(message: SQSRecord): number {
  return Number(message.attributes?.ApproximateReceiveCount ?? '1') || 1;
}

type Disposition =
  | { kind: 'done' }
  | { kind: 'retry'; delaySeconds: number; why: string }
  | { kind: 'poison'; why: string };

export interface MessageHandling {
  ingest: (ref: ObjectRef) => Promise<IngestReport>;
  /** Absent (the handler called directly, not from the queue): a message to retry is only reported. */
  queue: IngestQueue | undefined;
  log: Logger;
}

async function dispose(
  ref: ObjectRef,
  report: IngestReport,
  message: SQSRecord,
  h: MessageHandling,
): Promise<Disposition> {
  const receives = receiveCount(message);
  switch (report.status) {
    case 'completed':
    case 'duplicate':
    case 'ignored':
    case 'superseded':
      return { kind: 'done' };
    case 'in_progress': {
      const checkpoint = report.checkpoint;
      if (!checkpoint) {
        return {
          kind: 'retry',
          delaySeconds: Math.max(retryDelaySeconds(receives), report.retryAfterSeconds ?? 0),
          why: report.error ?? 'in progress elsewhere',
        };
      }
      // Without a queue to send to, this same message comes back and resumes from the checkpoint.
      if (!h.queue) return { kind: 'retry', delaySeconds: 0, why: 'no queue to send the continuation to' };
      await h.queue.send(
        continuationBody(ref, {
          etag: report.etag ?? '',
          versionId: report.versionId,
          part: checkpoint.part,
        }),
      );
      h.log.info('continuation sent', {
        source: report.source,
        part: checkpoint.part,
        offset: checkpoint.offset,
      });
      return { kind: 'done' };
    }
    case 'failed':
      if (report.failure === 'input') return { kind: 'poison', why: report.error ?? 'not an event log' };
      return { kind: 'retry', delaySeconds: retryDelaySeconds(receives), why: report.error ?? 'failed' };
  }
}

/** The messages to retry, as a partial batch failure; the queue deletes the rest. */
export async function handleIngestEvent(event: SQSEvent, h: MessageHandling): Promise<SQSBatchResponse> {
  if (!isSqsEvent(event)) {
    // Not a retryable state: nothing deployed invokes the function this way.
    throw new Error(
      'the ingest function takes SQS events from its queue (S3 notifications delivered through SQS); ' +
        'this event is not one: wire the bucket to the ingest queue as serverless.yml does',
    );
  }
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const message of event.Records) {
    const log = h.log.child({ messageId: message.messageId });
    let refs: ObjectRef[];
    try {
      refs = objectsInSqsBody(message.body);
    } catch (err: unknown) {
      // Not a message this function can ever handle: to the dead-letter queue, not round again.
      const why = (err as Error).message;
      const moved = await h.queue?.deadLetter(message.body, why).catch(() => false);
      log.error(moved ? 'unreadable message moved to the dead-letter queue' : 'unreadable message', { why });
      if (!moved && h.queue) batchItemFailures.push({ itemIdentifier: message.messageId });
      continue;
    }
    try {
      if (refs.length === 0) log.info('skipping a message without objects (s3:TestEvent)');
      let retry: Extract<Disposition, { kind: 'retry' }> | undefined;
      for (const ref of refs) {
        const outcome = await dispose(ref, await h.ingest(ref), message, h);
        if (outcome.kind === 'poison') {
          const body = JSON.stringify({ Records: [ref.record] });
          if (await h.queue?.deadLetter(body, outcome.why)) {
            log.error('the object can never be ingested as it is: its message is in the dead-letter queue', {
              bucket: ref.bucket,
              key: ref.key,
              why: outcome.why,
            });
          } else {
            log.error('the object can never be ingested as it is; not retried', {
              key: ref.key,
              why: outcome.why,
            });
          }
        } else if (outcome.kind === 'retry' && (!retry || outcome.delaySeconds > retry.delaySeconds)) {
          retry = outcome;
        }
      }
      if (retry) {
        await h.queue?.retryLater(message.receiptHandle, retry.delaySeconds);
        log.warn('message left for a later delivery', { why: retry.why, delaySeconds: retry.delaySeconds });
        batchItemFailures.push({ itemIdentifier: message.messageId });
      }
    } catch (err: unknown) {
      // An error no report holds (Cassandra unreachable before the ingest could start, a continuation
      // that could not be sent): back after the same backoff as a transient failure, not after the
      // queue's 90-minute visibility timeout. If even that call fails, the timeout it is.
      const delaySeconds = retryDelaySeconds(receiveCount(message));
      const backedOff = await h.queue
        ?.retryLater(message.receiptHandle, delaySeconds)
        .then(() => true)
        .catch(() => false);
      log.error('message failed; it will be retried', {
        err: errorFields(err),
        ...(backedOff ? { delaySeconds } : {}),
      });
      batchItemFailures.push({ itemIdentifier: message.messageId });
    }
  }
  return { batchItemFailures };
}
