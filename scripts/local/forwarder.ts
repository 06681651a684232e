// The local stand-in for Lambda's SQS event source mapping: polls the LocalStack ingest queue and
// invokes the ingest function under serverless offline (its Lambda invoke endpoint) with an SQS
// event, one message per invocation as deployed. Messages the function reports as failed stay in the
// queue and come back (after MAX_RECEIVE_COUNT receives they go to the dead-letter queue).
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { ConcurrencyLimit } from '../../lib/concurrency';
import type { Logger } from '../../lib/log';
import { sqsEventOf } from './lambda-events';

export interface ForwarderOptions {
  sqs: SQSClient;
  lambda: LambdaClient;
  queueUrl: string;
  queueArn: string;
  functionName: string;
  /** Invocations at once (maximumConcurrency of the deployed event source). */
  concurrency?: number;
  /** A failed message is retried after this long. */
  retryDelaySeconds?: number;
  log: Logger;
  /** Waits between failed rounds (tests pass one that never ends, to see stop() cut it short). */
  sleep?: (ms: number) => Promise<unknown>;
}

export interface ForwarderStats {
  invocations: number;
  succeeded: number;
  failed: number;
}

export interface Forwarder {
  stats: ForwarderStats;
  stop(): Promise<void>;
}

/**
 * Message ids the function wants retried (it set when they come back itself, as the deployed
 * function does), or all of them, `crashed`, when the invocation itself failed.
 */
async function invoke(
  opts: ForwarderOptions,
  event: SQSEvent,
  stopping: () => boolean,
): Promise<{ retry: Set<string>; crashed: boolean }> {
  const all = { retry: new Set(event.Records.map((r) => r.messageId)), crashed: true };
  try {
    const res = await opts.lambda.send(
      new InvokeCommand({ FunctionName: opts.functionName, Payload: Buffer.from(JSON.stringify(event)) }),
    );
    const text = res.Payload ? Buffer.from(res.Payload).toString('utf8') : '';
    if (res.FunctionError) {
      opts.log.error('ingest invocation failed', {
        functionError: res.FunctionError,
        payload: text.slice(0, 2000),
      });
      return all;
    }
    const body = JSON.parse(text || '{}') as Partial<SQSBatchResponse>;
    return { retry: new Set((body.batchItemFailures ?? []).map((f) => f.itemIdentifier)), crashed: false };
  } catch (err: unknown) {
    // While the flow stops, serverless offline goes away under an invocation: not a fault.
    if (stopping()) opts.log.info('stopping: the message goes back to the queue', { err });
    else opts.log.error('could not invoke the ingest function', { err });
    return all;
  }
}

/** Pause after a failed iteration: doubles from the first to the last while failures repeat. */
const BACKOFF_MS = { first: 250, max: 4000 };

export function startForwarder(opts: ForwarderOptions): Forwarder {
  const stats: ForwarderStats = { invocations: 0, succeeded: 0, failed: 0 };
  let running = true;
  let wake: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    wake = resolve;
  });
  /** Sleeps ms, or less when the forwarder is stopped meanwhile. */
  const sleep = opts.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms).unref()));
  const pause = (ms: number) => Promise.race([sleep(ms), stopped]).then(() => undefined);

  /** One receive → invoke → delete (or retry later) round; throws what LocalStack throws. */
  const once = async () => {
    const res = await opts.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: opts.queueUrl,
        MaxNumberOfMessages: 1,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const messages = res.Messages ?? [];
    if (messages.length === 0) return;
    stats.invocations++;
    const { retry, crashed } = await invoke(opts, sqsEventOf(messages, opts.queueArn), () => !running);
    for (const m of messages) {
      if (!m.ReceiptHandle) continue;
      if (retry.has(m.MessageId ?? '')) {
        stats.failed++;
        // A function that answered set its message's return itself. One that crashed (or was
        // killed, or stopped with the flow) could not: where AWS would wait out the queue's long
        // visibility timeout, the local flow brings the message back after a few seconds.
        if (!crashed) continue;
        await opts.sqs
          .send(
            new ChangeMessageVisibilityCommand({
              QueueUrl: opts.queueUrl,
              ReceiptHandle: m.ReceiptHandle,
              VisibilityTimeout: opts.retryDelaySeconds ?? 5,
            }),
          )
          .catch((err: unknown) =>
            // The message still comes back, only after the queue's visibility timeout.
            opts.log.warn('could not schedule a failed message for a retry', { err, messageId: m.MessageId }),
          );
      } else {
        stats.succeeded++;
        await opts.sqs.send(
          new DeleteMessageCommand({ QueueUrl: opts.queueUrl, ReceiptHandle: m.ReceiptHandle }),
        );
      }
    }
  };

  // Up to `concurrency` rounds at once, each an invocation as the deployed event source makes. Every
  // failure of a round is caught here: a poller that died on one LocalStack hiccup would quietly
  // shrink the event flow. A failed round keeps its slot through its backoff, so repeated failures
  // slow polling down. A message whose delete failed comes back after the visibility timeout, and
  // the ingest reports it as a duplicate.
  let backoff = BACKOFF_MS.first;
  const poll = async () => {
    const limit = new ConcurrencyLimit(opts.concurrency ?? 4);
    while (running) {
      await limit.acquire();
      if (!running) {
        limit.release();
        break;
      }
      once()
        .then(
          () => {
            backoff = BACKOFF_MS.first;
          },
          async (err: unknown) => {
            if (!running) return;
            opts.log.warn('ingest queue round failed; polling on', { err, retryInMs: backoff });
            const wait = backoff;
            backoff = Math.min(backoff * 2, BACKOFF_MS.max);
            await pause(wait);
          },
        )
        .finally(() => limit.release());
    }
    await limit.idle();
  };
  const polling = poll();
  return {
    stats,
    async stop() {
      running = false;
      wake();
      await polling;
    },
  };
}
