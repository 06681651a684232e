// One benchmark run of "ours": the deployed ingest handler (bundled) invoked with the S3 notification
// of an object in LocalStack, after a warm-up object. Prints one JSON line: the report, wall time
// and the process's peak RSS.
import type { S3Event } from 'aws-lambda';
import { handler } from '../../functions/ingest';
import type { IngestReport } from '../../lib/ingest/types';
import { profiled } from './profiler';

function event(bucket: string, key: string): S3Event {
  return {
    Records: [
      {
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: bucket }, object: { key: encodeURIComponent(key).replace(/%2F/g, '/') } },
      },
    ],
  } as unknown as S3Event;
}

async function main(): Promise<void> {
  const [bucket = '', key = '', warmupKey] = process.argv.slice(2);
  if (warmupKey) await handler(event(bucket, warmupKey));
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = (await profiled(() => handler(event(bucket, key)))) as { reports: IngestReport[] };
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  process.stdout.write(
    `${JSON.stringify({
      report: result.reports[0],
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
