// One benchmark run of the "ceiling": pre-parsed plays (loaded into memory before the clock starts)
// written with no reading or parsing at all, in one of two ways:
// - `batched`: through the same sink the ingest uses (partition-grouped UNLOGGED batches);
// - `rows`: one prepared INSERT per row per table through the driver's own
//   concurrent.executeConcurrent, the driver's documented way to bulk-load.
// The bench sweeps both at several concurrencies and takes the best as what this node accepts.
import { readFileSync } from 'node:fs';
import { concurrent } from 'cassandra-driver';
import { createClient } from '../../lib/cassandra/client';
import { insertStatement } from '../../lib/cassandra/cql';
import { playTables } from '../../lib/cassandra/model';
import { loadConfig } from '../../lib/config';
import type { Play } from '../../lib/events/event';
import { CassandraBatchSink } from '../../lib/ingest/batch-sink';
import { profiled } from './profiler';

type Writer = (plays: readonly Play[]) => Promise<void>;

async function main(): Promise<void> {
  const cfg = loadConfig();
  // Without a concurrency given, the ingest's own (INGEST_CONCURRENCY or its default).
  const [file = '', concurrency = String(cfg.ingest.concurrency), limit = '0', mode = 'batched'] =
    process.argv.slice(2);
  if (mode !== 'batched' && mode !== 'rows') throw new Error(`unknown mode ${mode}`);
  const all = readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Play);
  const plays = Number(limit) > 0 ? all.slice(0, Number(limit)) : all;
  const client = createClient(cfg.cassandra);
  await client.connect();

  const batched: Writer = async (rows) => {
    const sink = new CassandraBatchSink(client, cfg.cassandra, {
      concurrency: Number(concurrency),
      retry: { budgetMs: cfg.ingest.retryBudgetMs },
    });
    for (const p of rows) {
      const wait = sink.add(p);
      if (wait) await wait;
    }
    await sink.drain();
    if (sink.error !== undefined) throw sink.error;
  };
  const inserts = playTables.map((t) => insertStatement(cfg.cassandra.keyspace, t));
  const perRow: Writer = async (rows) => {
    const queries = rows.flatMap((p) => inserts.map((s) => ({ query: s.cql, params: s.values(p) })));
    const r = await concurrent.executeConcurrent(client, queries, {
      concurrencyLevel: Number(concurrency),
      raiseOnFirstError: true,
    });
    if (r.errors.length > 0) throw r.errors[0];
  };
  const write = mode === 'batched' ? batched : perRow;

  // Warm-up: prepare the statements and warm the JIT on a few thousand rows.
  await write(plays.slice(0, 5000));
  const cpu = process.cpuUsage();
  const started = performance.now();
  await profiled(() => write(plays));
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  process.stdout.write(
    `${JSON.stringify({ plays: plays.length, mode, wallMs, cpuMs: (used.user + used.system) / 1000 })}\n`,
  );
  await client.shutdown();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
