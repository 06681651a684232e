// The original project's loading method, measured honestly: for every row, for every table, one
// synchronous (awaited) INSERT sent as a plain, unprepared query, as the notebook did with
// session.execute(...) in a loop.
import { readFileSync } from 'node:fs';
import { createClient } from '../../lib/cassandra/client';
import { insertStatement } from '../../lib/cassandra/cql';
import { playTables } from '../../lib/cassandra/model';
import { loadConfig } from '../../lib/config';
import type { Play } from '../../lib/events/event';

async function main(): Promise<void> {
  const [file = '', limit = '2000'] = process.argv.slice(2);
  const plays = readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .slice(0, Number(limit))
    .map((l) => JSON.parse(l) as Play);
  const cfg = loadConfig();
  const client = createClient(cfg.cassandra);
  await client.connect();
  // Unprepared statements carry no type metadata; the column types are given as hints, as the
  // notebook's driver did by formatting the values into the query text.
  const inserts = playTables.map((t) => ({
    ...insertStatement(cfg.cassandra.keyspace, t),
    options: { prepare: false, hints: t.columns.map((c) => c.type) },
  }));
  for (const p of plays.slice(0, 100))
    for (const s of inserts) await client.execute(s.cql, s.values(p), s.options);
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (const p of plays) for (const s of inserts) await client.execute(s.cql, s.values(p), s.options);
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  process.stdout.write(
    `${JSON.stringify({ plays: plays.length, writes: plays.length * inserts.length, wallMs, cpuMs: (used.user + used.system) / 1000 })}\n`,
  );
  await client.shutdown();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
