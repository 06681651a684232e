// npm run fuzz:api [-- --seconds N --workers N --seed S]: the long schemathesis run. It loads a
// keyspace of its own (the real event logs when they are beside the checkout, else generated events
// plus the rows the contract's examples name), puts serverless offline in front of it, runs
// schemathesis with every check for N seconds, prints the figures (requests, checks, failures), and
// drops the keyspace. Exit 0 when schemathesis found no failure and no error, 1 otherwise.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '../lib/cassandra/client';
import { applySchema } from '../lib/cassandra/schema';
import { loadConfig } from '../lib/config';
import { localOutputs, outputNames } from '../lib/ingest/outputs';
import { ingestFilePart } from '../lib/ingest/service';
import { createLogger } from '../lib/log';
import { parseCommandLine, runCli, wholeNumber } from './cli';
import { describeFigures, ensureSchemathesis, examplesCsv, realLogFiles, runSchemathesis } from './fuzz/api';
import { writeEventFiles } from './generate/index';
import { startOffline } from './local/offline';
import { readStackSettings, repoRoot } from './stack/settings';

const SYNOPSIS = 'Usage: npm run fuzz:api -- [--seconds N] [--workers N] [--seed S] [--events N]';
const USAGE = `${SYNOPSIS}

  --seconds N   schemathesis's time budget (default 300)
  --workers N   concurrent schemathesis workers (default 2)
  --seed S      reproduce an earlier run (its figures print the seed)
  --events N    generated events when the real logs are absent (default 20000)

Needs the local stack (npm run stack:up). Reports go to .local/fuzz-api/<time>/.`;

const log = (m: string) => process.stderr.write(`fuzz:api: ${m}\n`);

async function main(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(argv, {
    seconds: { type: 'string' },
    workers: { type: 'string' },
    seed: { type: 'string' },
    events: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const seconds = wholeNumber('seconds', values.seconds, 300, 1);
  const workers = wholeNumber('workers', values.workers, 2, 1);
  const events = wholeNumber('events', values.events, 20_000, 1);
  const st = await ensureSchemathesis(readStackSettings(), log);

  const keyspace = `fuzz_api_${randomBytes(4).toString('hex')}`;
  const cfg = loadConfig({ ...process.env, CASSANDRA_KEYSPACE: keyspace });
  const work = mkdtempSync(join(tmpdir(), 'fuzz-api-'));
  const reportDir = join(repoRoot, '.local', 'fuzz-api', new Date().toISOString().replace(/[:.]/g, '-'));
  mkdirSync(reportDir, { recursive: true });
  const client = createClient(cfg.cassandra);
  await client.connect();
  try {
    await applySchema(client, keyspace, cfg.cassandra.replication);
    let files = realLogFiles();
    if (files.length > 0) {
      log(`ingesting the ${files.length} real event logs into ${keyspace}`);
    } else {
      log(
        `no real event logs; ingesting ${events} generated events and the contract's examples into ${keyspace}`,
      );
      const generated = await writeEventFiles({ events, outDir: join(work, 'generated') });
      writeFileSync(join(work, 'examples.csv'), examplesCsv());
      files = [...generated.files.map((f) => f.path), join(work, 'examples.csv')];
    }
    const rt = { cfg, client, log: createLogger('error', {}, () => undefined) };
    const names = outputNames(files.map((path) => ({ kind: 'file' as const, path })));
    for (const [i, file] of files.entries()) {
      const outcome = await ingestFilePart(rt, file, localOutputs(work, names[i] as string).rejectsBase);
      if (outcome.status !== 'completed') throw new Error(`ingest of ${file} ended ${outcome.status}`);
    }
    const api = await startOffline({ env: { CASSANDRA_KEYSPACE: keyspace }, name: `fuzz-api-${keyspace}` });
    try {
      log(`schemathesis ${seconds} s, ${workers} worker(s), every check, against ${api.baseUrl}`);
      const figures = await runSchemathesis(st, {
        baseUrl: api.baseUrl,
        maxTimeSeconds: seconds,
        workers,
        reportDir,
        ...(values.seed ? { seed: values.seed } : {}),
        onOutput: (text) => process.stderr.write(text),
      });
      const summary = describeFigures(figures);
      writeFileSync(join(reportDir, 'figures.txt'), `${summary}\n`);
      process.stdout.write(`${summary}\nreports: ${reportDir}\n`);
      return figures.exitCode === 0 && figures.failures.length === 0 && figures.errors.length === 0 ? 0 : 1;
    } finally {
      await api.stop();
    }
  } finally {
    try {
      await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
    } finally {
      await client.shutdown();
      rmSync(work, { recursive: true, force: true });
    }
  }
}

runCli('fuzz:api', SYNOPSIS, () => main(process.argv.slice(2)));
