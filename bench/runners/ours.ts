// One benchmark run of "ours": the deployed ingest handler (bundled) invoked with the SQS message the
// ingest queue delivers for an object in LocalStack, after a warm-up object. Prints one JSON line:
// the report (as the ingest stored it in the bucket), wall and CPU time, and the process's peak RSS.
import { handler } from '../../functions/ingest';
import { createS3 } from '../../lib/aws';
import { config } from '../../lib/config';
import { uploadedEvent } from '../../scripts/local/lambda-events';
import { profiled } from './profiler';
import { storedReport } from './stored-report';

async function ingest(bucket: string, key: string): Promise<void> {
  const result = await handler(uploadedEvent(bucket, key));
  if (result.batchItemFailures.length > 0)
    throw new Error(`the ingest of ${key} reported its message failed`);
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
  const cfg = config();
  const s3 = createS3(cfg.aws);
  const report = await storedReport(s3, cfg, bucket, key).finally(() => s3.destroy());
  process.stdout.write(
    `${JSON.stringify({
      report,
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
