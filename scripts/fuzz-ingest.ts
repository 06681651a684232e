// npm run fuzz:ingest [-- --inputs N] [--seed S]: the long run of the ingest fuzzer
// (scripts/fuzz/ingest.ts) against the local Cassandra, in a keyspace of its own that it drops at
// the end. Prints a line per violated invariant and a table of outcomes by kind; exit 1 when any
// invariant failed.
import { createClient } from '../lib/cassandra/client';
import { applySchema } from '../lib/cassandra/schema';
import { loadConfig } from '../lib/config';
import { parseCommandLine, runCli, wholeNumber } from './cli';
import { runIngestFuzz } from './fuzz/ingest';

const USAGE = 'usage: npm run fuzz:ingest -- [--inputs N] [--seed S]';

async function main(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(argv, { inputs: { type: 'string' }, seed: { type: 'string' } });
  const count = wholeNumber('inputs', values.inputs, 2400, 1);
  const seed = wholeNumber('seed', values.seed, Date.now() % 1_000_000, 0);
  const keyspace = `fuzz_${seed}`;
  const cfg = loadConfig({ ...process.env, CASSANDRA_KEYSPACE: keyspace });
  const client = createClient(cfg.cassandra);
  await client.connect();
  const started = Date.now();
  let violations = 0;
  try {
    await applySchema(client, keyspace, { class: 'SimpleStrategy', replicationFactor: 1 });
    const run = await runIngestFuzz({
      client,
      cfg,
      count,
      seed,
      onResult: (r, i) => {
        if (r.problems.length > 0) {
          violations++;
          process.stdout.write(`VIOLATION ${r.input.name}: ${r.problems.join('; ')}\n`);
        }
        if (i % 200 === 0) process.stderr.write(`fuzz:ingest: ${i} inputs, ${violations} violations\n`);
      },
    });
    process.stdout.write(
      `\nseed ${seed}: ${run.results.length} inputs in ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
    );
    process.stdout.write(
      '| kind | inputs | completed | failed | violations |\n| --- | ---: | ---: | ---: | ---: |\n',
    );
    for (const [kind, k] of Object.entries(run.byKind))
      process.stdout.write(`| ${kind} | ${k.inputs} | ${k.completed} | ${k.failed} | ${k.violations} |\n`);
  } finally {
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
    await client.shutdown();
  }
  return violations > 0 ? 1 : 0;
}

runCli('fuzz:ingest', USAGE, () => main(process.argv.slice(2)));
