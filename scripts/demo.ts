// npm run demo [-- --exit] [--data DIR] [--events N]
// The whole system on one machine: local stack, schema, serverless offline with the S3 → SQS → ingest
// event flow, sample event files uploaded to the bucket, every ingest report awaited, and the three
// queries answered over HTTP (with curl commands to try). Runs until Ctrl-C, which stops what it
// started (at any point: an interrupted demo exits 130); --exit stops after printing.
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createClient } from '../lib/cassandra/client';
import { applySchema } from '../lib/cassandra/schema';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/log';
import { parseCommandLine, runCli, UsageError, wholeNumber } from './cli';
import { pickExamples } from './demo/examples';
import { handleInterrupts, type Interrupts } from './demo/interrupt';
import {
  describeOutcome,
  firstRejects,
  type ObjectReader,
  type Outcome,
  outcomeFailed,
  waitForOutcome,
} from './demo/outcome';
import { printExamples } from './demo/print';
import { writeEventFiles } from './generate/index';
import { listNames, selectEventFiles, skipReason } from './local/event-files';
import { LOCAL_NAMES, startLocalFlow } from './local/flow';
import { putFiles } from './local/put-files';
import { formatStates, stackDown, stackUp } from './stack/index';
import { DEFAULT_TOKEN_SCOPES, signLocalToken } from './stack/issuer';
import { portInUse } from './stack/proc';
import type { ServiceName } from './stack/service';
import { readStackSettings, repoRoot } from './stack/settings';

// The SDK's notice that its 2027 releases will need Node 22 is for the maintainers (the lockfile pins
// releases that support Node 20), not for someone watching the demo.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

interface DemoArgs {
  exit: boolean;
  data: string | undefined;
  events: number;
}

const USAGE = 'usage: npm run demo -- [--exit] [--data DIR] [--events N]';

function readArgs(argv: string[]): DemoArgs {
  const { values } = parseCommandLine(argv, {
    exit: { type: 'boolean', default: false },
    data: { type: 'string' },
    events: { type: 'string' },
  });
  if (values.data === '') throw new UsageError('--data needs a directory');
  return { exit: values.exit, data: values.data, events: wholeNumber('events', values.events, 20_000, 100) };
}

const say = (text: string) => process.stdout.write(`\n▶ ${text}\n`);
const info = (text: string) => process.stdout.write(`  ${text}\n`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function sampleFiles(args: DemoArgs): Promise<string[]> {
  if (args.data) {
    const dir = resolve(args.data);
    const names = readdirSync(dir).filter((f) => statSync(join(dir, f), { throwIfNoEntry: false })?.isFile());
    const { accepted, skipped } = selectEventFiles(names);
    if (skipped.length > 0)
      info(`skipping ${skipped.length} file(s), since ${skipReason()}: ${listNames(skipped)}`);
    if (accepted.length === 0) throw new Error(`${dir} holds no file the ingest would be triggered for`);
    info(`using ${accepted.length} file(s) from ${dir}`);
    return accepted.map((f) => join(dir, f));
  }
  const outDir = join(repoRoot, '.local', 'demo', 'events');
  const summary = await writeEventFiles({ outDir, events: args.events, files: 30, seed: 'tracklog-demo' });
  info(
    `generated ${summary.events.toLocaleString()} events (${summary.plays.toLocaleString()} plays, ` +
      `${summary.users} users) in ${summary.files.length} files under ${outDir}`,
  );
  return summary.files.map((f) => f.path);
}

/** Failed ingests with their message, and ingests with rejected rows with the first few and where all are. */
async function printTroubles(s3: ObjectReader, outcomes: readonly Outcome[]): Promise<void> {
  for (const outcome of outcomes) {
    if (outcomeFailed(outcome)) {
      info(`FAILED ${describeOutcome(outcome)}`);
      continue;
    }
    if (outcome.kind !== 'report' || outcome.report.rowsRejected === 0) continue;
    info(`REJECTED ROWS ${describeOutcome(outcome)}`);
    const [first] = outcome.report.rejectsLocations;
    const shown = first ? await firstRejects(s3, first).catch(() => []) : [];
    for (const r of shown) info(`    line ${r.line}: ${r.reason}`);
    if (shown.length > 0 && shown.length < outcome.report.rowsRejected)
      info(`    … ${(outcome.report.rowsRejected - shown.length).toLocaleString()} more in the rejects`);
  }
}

async function main(args: DemoArgs): Promise<number> {
  // First of all: from here on a Ctrl-C stops whatever has been started, whatever step is running.
  const interrupts = handleInterrupts({ say, exit: (code) => process.exit(code) });
  let code = 1;
  try {
    code = await run(args, interrupts);
  } catch (err: unknown) {
    // After an interrupt, the step that was running fails as its services go away: not news.
    if (!interrupts.interrupted) throw err;
  } finally {
    await interrupts.stop();
  }
  return interrupts.exitCode ?? code;
}

async function run(args: DemoArgs, interrupts: Interrupts): Promise<number> {
  const started = Date.now();
  const step = (text: string) => {
    interrupts.throwIfInterrupted();
    say(text);
  };
  step('Starting the local stack (Apache Cassandra 5.0, LocalStack S3 + SQS, a local token issuer)');
  const settings = readStackSettings();
  // Registered before the start: a service being started when Ctrl-C comes is stopped too.
  const launched: ServiceName[] = [];
  interrupts.add(async () => {
    if (launched.length === 0) return;
    info(`stopping ${launched.join(' and ')} (started by the demo)`);
    const stopped = await stackDown(settings, launched);
    if (stopped.length > 0) info(`stopped ${stopped.join(', ')}`);
  });
  const states = await stackUp(settings, { onStart: (service) => launched.push(service) });
  process.stdout.write(`${formatStates(states).replace(/^/gm, '  ')}\n`);

  const cfg = loadConfig({
    ...process.env,
    AWS_ENDPOINT_URL: process.env.AWS_ENDPOINT_URL ?? 'http://127.0.0.1:4566',
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'test',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
  });
  step(`Applying the schema to keyspace ${cfg.cassandra.keyspace}`);
  const client = createClient(cfg.cassandra);
  interrupts.add(() => client.shutdown());
  await client.connect();
  const changes = await applySchema(client, cfg.cassandra.keyspace, cfg.cassandra.replication);
  info(
    changes.created.length + changes.altered.length > 0
      ? [...changes.created, ...changes.altered].join(', ')
      : 'already up to date',
  );

  step('Starting serverless offline and the S3 → SQS → ingest event flow');
  const portsFree = !(await portInUse(3000)) && !(await portInUse(3002));
  if (!portsFree) info('ports 3000/3002 are taken; serverless offline gets free ports instead');
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  const local = await startLocalFlow({
    awsEndpoint: cfg.aws.endpoint ?? 'http://127.0.0.1:4566',
    region: cfg.aws.region,
    keyspace: cfg.cassandra.keyspace,
    log: createLogger('warn', { demo: 'forwarder' }),
    offline: { name: 'demo', ...(portsFree ? { httpPort: 3000, lambdaPort: 3002 } : {}) },
  });
  interrupts.add(async () => {
    await local.stop();
    info('stopped serverless offline and the event flow');
  });
  info(`HTTP API ${local.offline.baseUrl}, Lambda invoke endpoint ${local.offline.lambdaUrl}`);
  info(`bucket s3://${local.flow.bucket} → queue ${LOCAL_NAMES.queue} → ${'ingest function'}`);

  step('Preparing sample event files');
  const files = await sampleFiles(args);

  step(`Uploading ${files.length} file(s) to s3://${local.flow.bucket}/incoming/`);
  const uploadStart = Date.now();
  const uploads = await putFiles(local.s3, files, { bucket: local.flow.bucket, prefix: 'incoming/' });
  info(`uploaded in ${seconds(Date.now() - uploadStart)}; waiting for the ingest reports`);
  let done = 0;
  const outcomes: Outcome[] = await Promise.all(
    uploads.map(async (u) => {
      const outcome = await waitForOutcome(
        local.s3,
        { bucket: local.flow.bucket, key: u.key, etag: u.etag, since: uploadStart },
        { outputs: local.flow.outputs, reportsPrefix: cfg.ingest.reportsPrefix, timeoutMs: 600_000 },
      );
      done++;
      if (process.stdout.isTTY) process.stdout.write(`\r  ${done}/${uploads.length} reports`);
      return outcome;
    }),
  );
  if (process.stdout.isTTY) process.stdout.write('\r\x1b[K');
  const reports = outcomes.flatMap((o) => (o.kind === 'report' ? [o.report] : []));
  const sum = (k: 'rowsRead' | 'rowsWritten' | 'rowsSkipped' | 'rowsRejected') =>
    reports.reduce((n, r) => n + r[k], 0);
  const byStatus: Record<string, number> = {};
  for (const o of outcomes) {
    const status = o.kind === 'report' ? o.report.status : 'without a report in time';
    byStatus[status] = (byStatus[status] ?? 0) + 1;
  }
  info(
    `all ${outcomes.length} outcomes in ${seconds(Date.now() - uploadStart)} after upload: ` +
      `${Object.entries(byStatus)
        .map(([s, n]) => `${n} ${s}`)
        .join(', ')}; rows read ${sum('rowsRead').toLocaleString()}, ` +
      `written ${sum('rowsWritten').toLocaleString()}, skipped ${sum('rowsSkipped').toLocaleString()}, ` +
      `rejected ${sum('rowsRejected').toLocaleString()}`,
  );
  info(
    `reports: s3://${local.flow.outputs}/${cfg.ingest.reportsPrefix}incoming/…; rejects: s3://${local.flow.outputs}/${cfg.ingest.rejectsPrefix}incoming/…`,
  );
  // Every ingest that did not simply work, with what it said and where its rejected rows are.
  await printTroubles(local.s3, outcomes);
  const failed = outcomes.filter(outcomeFailed);

  step('Asking the three questions over HTTP');
  // Only files that were ingested can answer (a file that failed may not even be an event log).
  const ingested = new Set(
    reports.filter((r) => r.status === 'completed' || r.status === 'duplicate').map((r) => r.source),
  );
  const usable = uploads.filter((u) => ingested.has(`s3://${local.flow.bucket}/${u.key}`)).map((u) => u.file);
  let answered = false;
  if (usable.length === 0) info('no file was ingested: there is nothing to ask about');
  else
    answered = await printExamples(
      local.offline.baseUrl,
      await pickExamples(usable),
      await signLocalToken(settings, { scopes: DEFAULT_TOKEN_SCOPES, ttlSeconds: 3600 }),
    );

  step(`Done in ${seconds(Date.now() - started)}`);
  info(
    `Upload more files: npm run upload -- --wait <file ...>   (to s3://${local.flow.bucket}/incoming/, ` +
      'printing each outcome)',
  );
  if (outcomes.some((o) => o.kind === 'report' && o.report.failure === 'input'))
    info('After uploading fixed versions of the files that failed: npm run redrive');
  const ok = failed.length === 0 && answered;
  if (args.exit) return ok ? 0 : 1;
  info('Everything keeps running; press Ctrl-C to stop what the demo started.');
  // Ctrl-C here is the expected end, not an interrupt: the exit code still says how the demo went.
  await interrupts.nextSignal();
  say('Stopping');
  return ok ? 0 : 1;
}

runCli('demo', USAGE, () => main(readArgs(process.argv.slice(2))));
