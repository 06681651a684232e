// One object ingested the way Lambda runs it, part after part: the bundled ingest handler in a process
// of its own that stays warm between invocations (as a Lambda container does), invoked with the
// object's SQS message and then, while the object's report says in_progress, with the continuation
// the part sent to the ingest queue (INGEST_QUEUE_URL), received from that queue as the event source
// would and deleted once its invocation succeeded.
// - `parts`: each invocation has Lambda's 900 s and INGEST_DEADLINE_MS caps it, as in the event flow.
// - `whole`: no remaining time and no deadline: one uninterrupted ingest in the same process and
//   runner, which is what parts are held against (the CLI or serverless offline would add their own
//   differences to the comparison).
// Prints one JSON line: the final report, the whole run's wall time, and per part its invocation's
// wall time, the gap before it (report read, queue receive) and the process's peak RSS during it,
// sampled every 100 ms: the handler's own memory, as Lambda's "Max Memory Used" is per invocation.
import {
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { handler } from '../../functions/ingest';
import { createS3, sharedSqs } from '../../lib/aws';
import { config } from '../../lib/config';
import type { IngestReport } from '../../lib/ingest/report';
import { sqsEventOf, uploadedEvent } from '../../scripts/local/lambda-events';
import { PROGRESS } from '../run-node';
import { storedReport } from './stored-report';

/** Lambda's time for one ingest invocation (serverless.yml). */
const FUNCTION_TIMEOUT_MS = 900_000;
/** A continuation is sent before its part returns: it is on the queue at once; this is ample. */
const CONTINUATION_WITHIN_MS = 60_000;

export interface PartRun {
  number: number;
  wallMs: number;
  gapBeforeMs: number;
  peakRssMb: number;
  /** What the RSS held at its peak (MiB): V8's heap, and memory outside it (Buffers, zlib, the driver). */
  atPeak: { heapTotalMb: number; heapUsedMb: number; externalMb: number };
  rowsWritten: number;
  /** Where it began reading (decompressed bytes): what a gzip part inflates and discards first. */
  startOffset: number;
}

export interface PartsRunnerResult {
  report: IngestReport;
  totalMs: number;
  parts: PartRun[];
}

const mb = (bytes: number) => Math.round(bytes / 1048576);

/** The process's largest RSS (MiB) from now until stop(), and what it held then. */
function rssSampler() {
  let peak = process.memoryUsage();
  const sample = () => {
    const now = process.memoryUsage();
    if (now.rss > peak.rss) peak = now;
  };
  const timer = setInterval(sample, 100);
  return {
    stop(): Pick<PartRun, 'peakRssMb' | 'atPeak'> {
      clearInterval(timer);
      sample();
      return {
        peakRssMb: mb(peak.rss),
        atPeak: {
          heapTotalMb: mb(peak.heapTotal),
          heapUsedMb: mb(peak.heapUsed),
          externalMb: mb(peak.external),
        },
      };
    },
  };
}

async function nextContinuation(sqs: SQSClient, queueUrl: string): Promise<Message> {
  const until = Date.now() + CONTINUATION_WITHIN_MS;
  while (Date.now() < until) {
    const res = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 1,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const message = res.Messages?.[0];
    if (message) return message;
  }
  throw new Error(`no continuation on ${queueUrl} within ${CONTINUATION_WITHIN_MS / 1000} s`);
}

async function main(): Promise<void> {
  const [bucket = '', key = '', queueArn = '', mode = ''] = process.argv.slice(2);
  if (mode !== 'parts' && mode !== 'whole') throw new Error(`mode must be parts or whole, not "${mode}"`);
  const cfg = config();
  const queueUrl = cfg.ingest.queueUrl;
  if (!queueUrl) throw new Error('INGEST_QUEUE_URL is not set: where would the parts send continuations?');
  const s3 = createS3(cfg.aws);
  // The handler's own client: this process plays the event source beside it.
  const sqs = sharedSqs(cfg.aws);
  const parts: PartRun[] = [];
  let event: SQSEvent = uploadedEvent(bucket, key);
  let message: Message | undefined;
  let report: IngestReport | undefined;
  const started = performance.now();
  let lastEnd = started;
  for (;;) {
    const rss = rssSampler();
    const begin = performance.now();
    const invoked = Date.now();
    const context =
      mode === 'parts'
        ? { getRemainingTimeInMillis: () => FUNCTION_TIMEOUT_MS - (Date.now() - invoked) }
        : undefined;
    const result = await handler(event, context);
    const end = performance.now();
    const memory = rss.stop();
    if (result.batchItemFailures.length > 0)
      throw new Error(`part ${parts.length + 1} of ${key}: the handler reported its message failed`);
    if (message?.ReceiptHandle)
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    report = await storedReport(s3, cfg, bucket, key);
    parts.push({
      number: report.part?.number ?? parts.length + 1,
      wallMs: end - begin,
      gapBeforeMs: begin - lastEnd,
      ...memory,
      rowsWritten: report.part?.rowsWritten ?? 0,
      startOffset: report.part?.startOffset ?? 0,
    });
    process.stderr.write(
      `${PROGRESS}${mode}: part ${parts.length} ${report.status}, ${report.rowsWritten.toLocaleString()} plays so far, ${((end - started) / 1000).toFixed(0)} s, peak RSS ${memory.peakRssMb} MB (heap ${memory.atPeak.heapTotalMb}, external ${memory.atPeak.externalMb})\n`,
    );
    lastEnd = end;
    if (report.status !== 'in_progress') break;
    message = await nextContinuation(sqs, queueUrl);
    event = sqsEventOf([message], queueArn);
  }
  const out: PartsRunnerResult = { report, totalMs: lastEnd - started, parts };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
