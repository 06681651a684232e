// What the ingest Lambda is invoked with: SQS messages whose bodies are S3 event notifications (the
// only wiring serverless.yml deploys: bucket → queue → function), or continuations the ingest (or
// the sweep) sent itself (the same notification plus the version and the part to go on with).
// Every message and every record in it is handled; keys are URL-decoded as S3 encodes them ('+' is
// a space); S3's s3:TestEvent is skipped. What happens to a message once its objects' deliveries
// are over is the lifecycle's call (lib/ingest/lifecycle.ts, messageAction); this module carries
// it out: delete it, send the next part's continuation first, leave it to come back after a
// backoff, or move it to the dead-letter queue with the report.
import type { S3Event, S3EventRecord, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { MAX_RECEIVE_COUNT } from '../infra/events';
import { errorFields, type Logger } from '../log';
import { joinsAfter, type MessageAction, messageAction, retryDelaySeconds } from './lifecycle';
import type { IngestQueue } from './queue';
import { type IngestReport, reportJson } from './report';
import { splitOf } from './splits';
import type { ObjectVersion } from './types';

/** The part of a continuation message that is not S3's: which version and part to continue. */
export interface ContinuationRef extends ObjectVersion {
  part: number;
  /**
   * Sent when a split ended (or by the sweep): join the version's splits if it is still in
   * progress; never reopen a version that ended, as a notification or a redrive would.
   */
  join?: boolean;
}

export interface ObjectRef {
  bucket: string;
  key: string;
  /** The version the notification names (S3 puts its ETag in the record, and its id when versioned). */
  etag?: string;
  versionId?: string;
  continuation?: ContinuationRef;
  /** The S3 record, to send on (a continuation, the dead-letter queue). */
  record: S3EventRecord;
}

type Body = Partial<S3Event> & { Event?: unknown; tracklogContinuation?: Partial<ContinuationRef> };

export function decodeS3Key(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

/** A key as S3 writes it into a notification, so that decodeS3Key gives it back. */
export function encodeS3Key(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

function continuationOf(body: Body): ContinuationRef | undefined {
  const c = body.tracklogContinuation;
  if (c === undefined) return undefined;
  if (typeof c.etag !== 'string' || !Number.isInteger(c.part) || (c.part ?? 0) < 1)
    throw new Error('a continuation message needs an etag and a part number >= 1');
  return {
    etag: c.etag,
    versionId: typeof c.versionId === 'string' ? c.versionId : undefined,
    part: c.part as number,
    ...(c.join === true ? { join: true } : {}),
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
  return message.Records.filter((r) => r.eventName?.startsWith('ObjectCreated')).map((record) => {
    const etag = record.s3.object.eTag?.replace(/"/g, '');
    const versionId = record.s3.object.versionId;
    return {
      bucket: record.s3.bucket.name,
      key: decodeS3Key(record.s3.object.key),
      ...(etag ? { etag } : {}),
      ...(versionId ? { versionId } : {}),
      ...(continuation ? { continuation } : {}),
      record,
    };
  });
}

/** The body of a message that names this object (and part) alone. */
export function messageBody(ref: Pick<ObjectRef, 'record' | 'continuation'>): string {
  return ref.continuation
    ? continuationBody(ref, ref.continuation)
    : JSON.stringify({ Records: [ref.record] });
}

/** The body of a continuation: the object's own notification record, and where to go on. */
export function continuationBody(ref: Pick<ObjectRef, 'record'>, next: ContinuationRef): string {
  return JSON.stringify({ Records: [ref.record], tracklogContinuation: next });
}

function isSqsEvent(event: unknown): event is SQSEvent {
  const records = (event as Partial<SQSEvent> | undefined)?.Records;
  return Array.isArray(records) && records.every((r) => r?.eventSource === 'aws:sqs');
}

/** How many times the queue has delivered this message, this delivery included. */
function receiveCount(message: SQSRecord): number {
  return Number(message.attributes?.ApproximateReceiveCount ?? '1') || 1;
}

export { retryDelaySeconds };

export interface MessageHandling {
  ingest: (ref: ObjectRef, delivery: { lastDelivery: boolean }) => Promise<IngestReport>;
  /** Absent (the handler called directly, not from the queue): a message to retry is only reported. */
  queue: IngestQueue | undefined;
  /**
   * Records that the continuation of a part was sent, so that this message, delivered again,
   * knows it has nothing left to do (lib/ingest/ledger.ts, markContinued).
   */
  continued?: (mark: ContinuedMark) => Promise<void>;
  log: Logger;
}

/** The continuation of `part` of a version was sent, from its row at `revision` (ledger.ts, markContinued). */
export interface ContinuedMark {
  source: string;
  etag: string;
  part: number;
  revision: number | undefined;
}

type Retry = Extract<MessageAction, { kind: 'retry' }>;

/** Records a continuation sent; not recorded, a redelivery of the message carries the version on itself. */
async function markSent(h: MessageHandling, log: Logger, mark: ContinuedMark): Promise<void> {
  await h
    .continued?.(mark)
    .catch((err: unknown) =>
      log.warn('could not record that the continuation was sent', { source: mark.source, err }),
    );
}

/** Carries out what the lifecycle says of one object's delivery; a retry is returned for the message. */
async function carryOut(
  ref: ObjectRef,
  report: IngestReport,
  action: MessageAction,
  h: MessageHandling,
  log: Logger,
): Promise<Retry | undefined> {
  switch (action.kind) {
    case 'ack':
      return undefined;
    case 'retry':
      return action;
    case 'requeue':
      // Without a queue, the message itself is all there is: it comes back.
      if (!h.queue) return { kind: 'retry', delaySeconds: action.delaySeconds, why: action.why };
      await h.queue.send(messageBody(ref), action.delaySeconds);
      log.warn('message sent again as a new one: its last delivery only waited for another delivery', {
        source: report.source,
        delaySeconds: action.delaySeconds,
        why: action.why,
      });
      return undefined;
    case 'continue': {
      // Without a queue to send to, this same message comes back and resumes from the checkpoint.
      if (!h.queue) return { kind: 'retry', delaySeconds: 0, why: 'no queue to send the continuation to' };
      const next = { etag: report.etag ?? '', versionId: report.versionId, part: action.part };
      await h.queue.send(continuationBody(ref, next));
      log.info('continuation sent', {
        source: report.source,
        part: action.part,
        offset: report.checkpoint?.offset,
      });
      // Not recorded, a redelivery of this message resumes from the checkpoint itself: no harm.
      await markSent(h, log, {
        source: report.source,
        etag: next.etag,
        part: action.part,
        revision: report.checkpoint?.revision,
      });
      return undefined;
    }
    case 'fan-out': {
      if (!h.queue) return { kind: 'retry', delaySeconds: 0, why: 'no queue to send the splits to' };
      for (const etag of action.splits)
        await h.queue.send(continuationBody(ref, { etag, versionId: report.versionId, part: 1 }));
      log.info('splits sent their messages', { source: report.source, splits: action.splits.length });
      // Not recorded, a redelivery of this message sends them again: each finds its split busy or done.
      await markSent(h, log, {
        source: report.source,
        etag: report.etag ?? '',
        part: 1,
        revision: action.revision,
      });
      return undefined;
    }
    case 'dead-letter': {
      // What a redrive sends back must take the version up again: a join never reopens one.
      const { join: _join, ...continuation } = ref.continuation ?? { join: undefined };
      const body = messageBody(
        ref.continuation ? { ...ref, continuation: continuation as ContinuationRef } : ref,
      );
      if (await h.queue?.deadLetter(body, action.why, reportJson(report))) {
        log.error('the object version could not be ingested: its message is in the dead-letter queue', {
          bucket: ref.bucket,
          key: ref.key,
          failure: report.failure,
          why: action.why,
        });
      } else {
        log.error('the object version could not be ingested; not retried', { key: ref.key, why: action.why });
      }
      return undefined;
    }
  }
}

/** A split ended: a message for its version, whose delivery joins the splits if they all ended. */
async function askToJoin(
  ref: ObjectRef,
  report: IngestReport,
  h: MessageHandling,
  log: Logger,
): Promise<void> {
  const of = splitOf(report.etag ?? '');
  if (!of || !h.queue) return;
  await h.queue.send(
    continuationBody(ref, { etag: of.etag, versionId: report.versionId, part: 1, join: true }),
  );
  log.info('split ended; its version asked to join', { source: report.source, split: of.split });
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
      const moved = await h.queue?.deadLetter(message.body, why, undefined).catch(() => false);
      log.error(moved ? 'unreadable message moved to the dead-letter queue' : 'unreadable message', { why });
      if (!moved && h.queue) batchItemFailures.push({ itemIdentifier: message.messageId });
      continue;
    }
    try {
      if (refs.length === 0) log.info('skipping a message without objects (s3:TestEvent)');
      const receives = receiveCount(message);
      let retry: Retry | undefined;
      for (const ref of refs) {
        const report = await h.ingest(ref, { lastDelivery: receives >= MAX_RECEIVE_COUNT });
        const action = messageAction(report, receives);
        // First the version's join, then this message's end: a failed send leaves the message to
        // come back, and its split, found done, asks again.
        if (joinsAfter(report, action)) await askToJoin(ref, report, h, log);
        const wanted = await carryOut(ref, report, action, h, log);
        if (wanted && (!retry || wanted.delaySeconds > retry.delaySeconds)) retry = wanted;
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
