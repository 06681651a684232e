// One benchmark run of "ours": the deployed ingest handler (bundled) invoked with the SQS message the
// ingest queue delivers for an object in LocalStack, after a warm-up object. Prints one JSON line:
// the report (as the ingest stored it in the bucket), wall and CPU time, and the process's peak RSS.
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { handler } from '../../functions/ingest';
import { createS3 } from '../../lib/aws';
import { config } from '../../lib/config';
import type { IngestReport } from '../../lib/ingest/report';
import { s3ReportKey } from '../../lib/ingest/service';
import { uploadedEvent } from '../../scripts/local/lambda-events';
import { profiled } from './profiler';

async function ingest(bucket: string, key: string): Promise<void> {
  const result = await handler(uploadedEvent(bucket, key));
  if (result.batchItemFailures.length > 0)
    throw new Error(`the ingest of ${key} reported its message failed`);
}

async function storedReport(bucket: string, key: string): Promise<IngestReport> {
  const cfg = config();
  const s3 = createS3(cfg.aws);
  try {
    const res = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: s3ReportKey(cfg.ingest.reportsPrefix, key) }),
    );
    return JSON.parse((await res.Body?.transformToString('utf8')) ?? '{}') as IngestReport;
  } finally {
    s3.destroy();
  }
}

async function main(): Promise<void> {
  const [bucket = '', key = '', warmupKey] = process.argv.slice(2);
  if (warmupKey) await ingest(bucket, warmupKey);
  const cpu = process.cpuUsage();
  const started = performance.now();
  // A failed ingest still stores its report: the bench prints it rather than a bare error.
  await profiled(() => ingest(bucket, key)).catch(() => undefined);
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  process.stdout.write(
    `${JSON.stringify({
      report: await storedReport(bucket, key),
      wallMs,
      cpuMs: (used.user + used.system) / 1000,
      maxRssKb: process.resourceUsage().maxRSS,
    })}\n`,
  );
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
