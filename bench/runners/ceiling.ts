// One benchmark run of the "ceiling": pre-parsed plays (loaded into memory before the clock starts)
// written through the same sink the ingest uses, with no reading or parsing at all.
import { readFileSync } from 'node:fs';
import { createClient } from '../../lib/cassandra/client';
import { loadConfig } from '../../lib/config';
import type { Play } from '../../lib/events/event';
import { CassandraBatchSink } from '../../lib/ingest/batch-sink';
import { profiled } from './profiler';

async function main(): Promise<void> {
  const [file = '', concurrency = '64', limit = '0'] = process.argv.slice(2);
  const all = readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Play);
  const plays = Number(limit) > 0 ? all.slice(0, Number(limit)) : all;
  const cfg = loadConfig();
  const client = createClient(cfg.cassandra);
  await client.connect();
  // Warm-up: prepare the statements and warm the JIT on a few thousand rows.
  const warm = new CassandraBatchSink(client, cfg.cassandra, {
    concurrency: Number(concurrency),
    maxRetries: 5,
  });
  for (const p of plays.slice(0, 5000)) await warm.add(p);
  await warm.drain();
  const sink = new CassandraBatchSink(client, cfg.cassandra, {
    concurrency: Number(concurrency),
    maxRetries: 5,
  });
  const cpu = process.cpuUsage();
  const started = performance.now();
  await profiled(async () => {
    for (const p of plays) {
      const wait = sink.add(p);
      if (wait) await wait;
    }
    await sink.drain();
  });
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  if (sink.error !== undefined) throw sink.error;
  process.stdout.write(
    `${JSON.stringify({ plays: plays.length, written: sink.written, wallMs, cpuMs: (used.user + used.system) / 1000 })}\n`,
  );
  await client.shutdown();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
