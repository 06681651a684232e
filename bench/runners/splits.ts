// One invocation slot of the event source, as Lambda gives the ingest queue up to maximumConcurrency
// of them: a process of its own that stays warm (a container), receives one message at a time from
// the bench's queue, invokes the bundled ingest handler with it, and deletes it unless the handler
// kept it (the handler sets a kept message's backoff itself). Several of these at once are the
// splits in flight. It stops once the object's report says it ended, and prints one JSON line: its
// invocations, and the peak RSS of each, sampled every 100 ms (Lambda's Max Memory Used).
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { handler } from '../../functions/ingest';
import { createS3, sharedSqs } from '../../lib/aws';
import { config } from '../../lib/config';
import { sqsEventOf } from '../../scripts/local/lambda-events';
import { storedReport } from './stored-report';

const FUNCTION_TIMEOUT_MS = 900_000;

export interface SlotResult {
  invocations: number;
  /** Peak RSS of each invocation, MiB. */
  peakRssMb: number[];
  /** Time spent inside the handler, ms. */
  busyMs: number;
}

async function ended(s3: ReturnType<typeof createS3>, bucket: string, key: string): Promise<boolean> {
  try {
    const report = await storedReport(s3, config(), bucket, key);
    return report.status === 'completed' || report.status === 'failed';
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const [bucket = '', key = '', queueArn = ''] = process.argv.slice(2);
  const cfg = config();
  const queueUrl = cfg.ingest.queueUrl;
  if (!queueUrl) throw new Error('INGEST_QUEUE_URL is not set');
  const s3 = createS3(cfg.aws);
  const sqs = sharedSqs(cfg.aws);
  const result: SlotResult = { invocations: 0, peakRssMb: [], busyMs: 0 };
  for (;;) {
    const res = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 1,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const message = res.Messages?.[0];
    if (!message) {
      if (await ended(s3, bucket, key)) break;
      continue;
    }
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 100);
    const invoked = Date.now();
    const out = await handler(sqsEventOf([message], queueArn), {
      getRemainingTimeInMillis: () => FUNCTION_TIMEOUT_MS - (Date.now() - invoked),
    });
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    result.busyMs += Date.now() - invoked;
    result.invocations++;
    result.peakRssMb.push(Math.round(peak / 1048576));
    if (out.batchItemFailures.length === 0 && message.ReceiptHandle)
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
