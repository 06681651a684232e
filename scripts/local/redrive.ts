// Moves the ingest's dead-letter queue back into its ingest queue (npm run redrive), once the
// objects that could not be ingested have fixed versions uploaded. The move is SQS's own message
// move task (StartMessageMoveTask, watched with ListMessageMoveTasks), which LocalStack 4.14
// emulates too. Before it, and instead of it with --dry-run, the messages are looked at (received
// with a short visibility timeout, then released at once) to say which objects they name.
import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { stackNames } from '../../lib/infra/names';
import { objectsInSqsBody } from '../../lib/ingest/notifications';
import { UsageError } from '../cli';

/** The SQS calls the redrive makes (an SQSClient, or a fake in tests). */
export type RedriveSqs = Pick<SQSClient, 'send'>;

export interface RedriveQueues {
  queueUrl: string;
  deadLetterQueueUrl: string;
}

export interface DeadLetter {
  messageId: string;
  /** s3://bucket/key of each object the message names (none for S3's test event). */
  objects: string[];
  /** Why the ingest put it there (its `reason` attribute), when it did. */
  reason: string | undefined;
  /** Set when the body is not a message the ingest can read: why. */
  unreadable: string | undefined;
}

export interface PeekOptions {
  /** Stop after this many messages (a huge dead-letter queue is listed in part). */
  max?: number;
  /** How long a looked-at message stays hidden should its release fail (it is released at once). */
  visibilitySeconds?: number;
}

function deadLetterOf(m: Message): DeadLetter {
  const reason = m.MessageAttributes?.reason?.StringValue;
  try {
    const objects = objectsInSqsBody(m.Body ?? '').map((ref) => `s3://${ref.bucket}/${ref.key}`);
    return { messageId: m.MessageId ?? '', objects, reason, unreadable: undefined };
  } catch (err: unknown) {
    return { messageId: m.MessageId ?? '', objects: [], reason, unreadable: (err as Error).message };
  }
}

/**
 * The messages in the dead-letter queue, without taking them: each is received with a short
 * visibility timeout (so one is not counted twice) and made visible again right after.
 */
export async function peekDeadLetters(
  sqs: RedriveSqs,
  deadLetterQueueUrl: string,
  opts: PeekOptions = {},
): Promise<DeadLetter[]> {
  const max = opts.max ?? 1000;
  const seen = new Map<string, DeadLetter>();
  const handles: string[] = [];
  try {
    while (seen.size < max) {
      const res = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: deadLetterQueueUrl,
          MaxNumberOfMessages: Math.min(10, max - seen.size),
          VisibilityTimeout: opts.visibilitySeconds ?? 30,
          // A long poll, if only of a second: a short one asks some of SQS's servers only, and can
          // come back empty while messages wait.
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['reason'],
        }),
      );
      const messages = res.Messages ?? [];
      if (messages.length === 0) break;
      for (const m of messages) {
        if (m.ReceiptHandle) handles.push(m.ReceiptHandle);
        const letter = deadLetterOf(m);
        // SQS may hand out a message twice (at-least-once delivery): listed once.
        if (!seen.has(letter.messageId)) seen.set(letter.messageId, letter);
      }
    }
  } finally {
    await release(sqs, deadLetterQueueUrl, handles);
  }
  return [...seen.values()];
}

/** Makes received messages visible again (ten at a time, SQS's batch limit). */
async function release(sqs: RedriveSqs, queueUrl: string, handles: readonly string[]): Promise<void> {
  for (let i = 0; i < handles.length; i += 10) {
    const batch = handles.slice(i, i + 10);
    const res = await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((ReceiptHandle, j) => ({ Id: String(j), ReceiptHandle, VisibilityTimeout: 0 })),
      }),
    );
    if ((res.Failed ?? []).length > 0) {
      // They come back on their own after the short visibility timeout; a move started before
      // that would pass them over.
      throw new Error(
        `could not release ${res.Failed?.length} looked-at message(s): ${res.Failed?.[0]?.Message ?? ''}`,
      );
    }
  }
}

async function queueArn(sqs: RedriveSqs, queueUrl: string): Promise<string> {
  const res = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const arn = res.Attributes?.QueueArn;
  if (!arn) throw new Error(`queue ${queueUrl} has no ARN`);
  return arn;
}

/** The URLs of queues named as a stack names them (lib/infra/names.ts). */
export async function queueUrls(
  sqs: RedriveSqs,
  names: { queue: string; deadLetterQueue: string },
): Promise<RedriveQueues> {
  const url = async (name: string) => {
    try {
      const res = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
      if (res.QueueUrl) return res.QueueUrl;
    } catch (err: unknown) {
      const code = (err as { name?: string }).name ?? '';
      if (!/QueueDoesNotExist|NonExistentQueue/.test(code)) throw err;
    }
    throw new Error(
      `there is no queue ${name} (is the stack deployed, or the local event flow set up? npm run demo sets up the local one)`,
    );
  };
  return { queueUrl: await url(names.queue), deadLetterQueueUrl: await url(names.deadLetterQueue) };
}

export interface MoveResult {
  /** COMPLETED, FAILED, CANCELLED, or RUNNING when the wait ran out. */
  status: string;
  moved: number;
  failureReason: string | undefined;
}

export interface MoveOptions {
  timeoutMs?: number;
  pollMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<unknown>;
}

/**
 * Starts SQS's move task from the dead-letter queue to the ingest queue and waits for its end.
 * The destination is named: without one, SQS sends each message back to the queue it was
 * dead-lettered from, which messages the ingest itself put in the dead-letter queue do not have
 * (LocalStack's task then fails with AttributeError).
 */
export async function moveDeadLetters(
  sqs: RedriveSqs,
  queues: RedriveQueues,
  opts: MoveOptions = {},
): Promise<MoveResult> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const sourceArn = await queueArn(sqs, queues.deadLetterQueueUrl);
  const destinationArn = await queueArn(sqs, queues.queueUrl);
  const tasks = async () =>
    (await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 10 }))).Results ?? [];
  // The newest task before ours: until ours is listed, that one is still first in the list.
  const before = (await tasks())[0]?.StartedTimestamp ?? Number.NEGATIVE_INFINITY;
  const started = await sqs.send(
    new StartMessageMoveTaskCommand({ SourceArn: sourceArn, DestinationArn: destinationArn }),
  );
  const deadline = now() + (opts.timeoutMs ?? 300_000);
  let task: ListMessageMoveTasksResultEntry | undefined;
  for (;;) {
    const results = await tasks();
    // A running task lists its handle; a finished one does not. One task at a time may run from a
    // queue, and the list is newest first: once ours is no longer running, it is the first, and
    // newer than the newest before it.
    const newest = results[0];
    task =
      results.find((t) => t.TaskHandle !== undefined && t.TaskHandle === started.TaskHandle) ??
      (newest && (newest.StartedTimestamp ?? 0) > before ? newest : undefined);
    if (task && task.Status !== 'RUNNING') break;
    if (now() >= deadline) break;
    await sleep(opts.pollMs ?? 500);
  }
  return {
    status: task?.Status ?? 'RUNNING',
    moved: task?.ApproximateNumberOfMessagesMoved ?? 0,
    failureReason: task?.FailureReason,
  };
}

export interface RedriveResult {
  queues: RedriveQueues;
  /** What the dead-letter queue held when looked at. */
  letters: DeadLetter[];
  /** Absent for a dry run, or when there was nothing to move. */
  move: MoveResult | undefined;
}

export async function redrive(
  sqs: RedriveSqs,
  queues: RedriveQueues,
  opts: { dryRun: boolean } & PeekOptions & MoveOptions,
): Promise<RedriveResult> {
  const letters = await peekDeadLetters(sqs, queues.deadLetterQueueUrl, opts);
  if (opts.dryRun || letters.length === 0) return { queues, letters, move: undefined };
  return { queues, letters, move: await moveDeadLetters(sqs, queues, opts) };
}

function describeLetter(letter: DeadLetter): string {
  const what =
    letter.objects.length > 0
      ? letter.objects.join(', ')
      : letter.unreadable
        ? `message ${letter.messageId}, not an S3 notification: ${letter.unreadable}`
        : `message ${letter.messageId}, naming no object (S3's test event)`;
  return `  ${what}${letter.reason ? `\n      was: ${letter.reason}` : ''}`;
}

/** What the command prints: how many messages, and the objects they name. */
export function describeRedrive(result: RedriveResult, dryRun: boolean): string[] {
  const { letters, move, queues } = result;
  const listed = letters.map(describeLetter);
  if (letters.length === 0)
    return [`the dead-letter queue ${queues.deadLetterQueueUrl} is empty: nothing to redrive`];
  if (dryRun || !move)
    return [
      `${letters.length} message(s) in the dead-letter queue ${queues.deadLetterQueueUrl} (dry run: nothing moved):`,
      ...listed,
    ];
  const lines = [
    `moved ${move.moved} message(s) from ${queues.deadLetterQueueUrl} to ${queues.queueUrl} ` +
      `(SQS message move task, ${move.status}${move.failureReason ? `: ${move.failureReason}` : ''}):`,
    ...listed,
  ];
  if (move.status === 'COMPLETED' && move.moved > letters.length)
    lines.push(`  and ${move.moved - letters.length} that arrived after the listing`);
  if (move.status === 'RUNNING') lines.push('the move task is still running; see ListMessageMoveTasks');
  else if (move.status === 'COMPLETED')
    lines.push(
      'the ingest takes them up again; each outcome lands in reports/<key>.json of the outputs bucket',
    );
  return lines;
}

export function redriveSucceeded(result: RedriveResult): boolean {
  return result.move === undefined || result.move.status === 'COMPLETED';
}

/** Where the local stack's LocalStack answers (scripts/stack). */
export const LOCALSTACK_ENDPOINT = 'http://127.0.0.1:4566';

export interface RedriveTarget {
  /** Queue URLs given, or the names of a stack's queues to look up. */
  queues: RedriveQueues | { queue: string; deadLetterQueue: string };
  /** An S3/SQS-compatible endpoint (LocalStack); undefined is AWS. */
  endpoint: string | undefined;
  region: string;
}

function queueNames(service: string, stage: string): { queue: string; deadLetterQueue: string } {
  const { queue, deadLetterQueue } = stackNames(service, stage);
  return { queue, deadLetterQueue };
}

const AWS_HOST = /(^|\.)amazonaws\.com(\.cn)?$/;

/**
 * Which queues, and where: the queue URLs given, or those of a stack (stage `local` by default:
 * the local event flow's). The endpoint is AWS_ENDPOINT_URL when set; else the given queues' own
 * host unless that is AWS's; else LocalStack for the local stage; else AWS itself.
 */
export function redriveTarget(
  opts: { queueUrl?: string; deadLetterQueueUrl?: string; stage?: string; service?: string },
  env: NodeJS.ProcessEnv,
): RedriveTarget {
  const { queueUrl, deadLetterQueueUrl } = opts;
  const given = queueUrl !== undefined || deadLetterQueueUrl !== undefined;
  if (given && (opts.stage !== undefined || opts.service !== undefined))
    throw new UsageError('give either the queue URLs or --stage/--service, not both');
  if (given && (!queueUrl || !deadLetterQueueUrl))
    throw new UsageError('--queue-url and --dead-letter-queue-url go together');
  let host: URL | undefined;
  if (deadLetterQueueUrl) {
    try {
      host = new URL(deadLetterQueueUrl);
      new URL(queueUrl ?? '');
    } catch {
      throw new UsageError('--queue-url and --dead-letter-queue-url must be URLs');
    }
  }
  const stage = opts.stage ?? 'local';
  const endpoint =
    env.AWS_ENDPOINT_URL ||
    (host
      ? AWS_HOST.test(host.hostname)
        ? undefined
        : host.origin
      : stage === 'local'
        ? LOCALSTACK_ENDPOINT
        : undefined);
  // An AWS queue URL names its region (https://sqs.<region>.amazonaws.com/...).
  const urlRegion =
    host && AWS_HOST.test(host.hostname) ? /^sqs\.([a-z0-9-]+)\./.exec(host.hostname)?.[1] : undefined;
  return {
    queues:
      queueUrl && deadLetterQueueUrl
        ? { queueUrl, deadLetterQueueUrl }
        : queueNames(opts.service ?? 'tracklog', stage),
    endpoint,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || urlRegion || 'us-east-1',
  };
}
