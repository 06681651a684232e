// What every section of the bench shares: the settings, the environment its processes get and the
// config read from it (the same one the ingest and the handlers in those processes read), the
// Cassandra client with reset(), the S3 client with upload(), the bundles, the data set, the log,
// runNode, and the results collected so far (contender() records an ingest contender).
import { join } from 'node:path';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Client } from 'cassandra-driver';
import { createS3 } from '../lib/aws';
import { createClient } from '../lib/cassandra/client';
import { playTables } from '../lib/cassandra/model';
import { applySchema } from '../lib/cassandra/schema';
import { type Config, loadConfig } from '../lib/config';
import { writeEventFiles } from '../scripts/generate/index';
import { putFiles, type Uploaded } from '../scripts/local/put-files';
import { stackUp } from '../scripts/stack/index';
import { LOCALSTACK_URL, readStackSettings, type StackSettings } from '../scripts/stack/settings';
import type { BenchArgs } from './args';
import { type Bundles, buildBundles, outDir } from './build';
import { type Dataset, dataset } from './data';
import type { BenchResults, ContenderResult } from './report';
import { nodeRunner, type RunNode } from './run-node';
import { perSec, spread } from './stats';

export const KEYSPACE = 'bench';
export const BUCKET = 'tracklog-bench';

/** What the sections measured so far, as it goes into the results. */
export type Collected = Pick<BenchResults, 'ingest' | 'memory' | 'reads' | 'handlers' | 'flow' | 'profile'>;

export interface BenchContext {
  args: BenchArgs;
  /** When the bench started: the log's clock, and the run's duration. */
  started: number;
  log(message: string): void;
  stack: StackSettings;
  /** The environment of every process the bench starts: runners and serverless offline. */
  env: Record<string, string>;
  /** loadConfig(env): what the ingest and the handlers in those processes read too. */
  cfg: Config;
  /** The first contact point, for the peers' command lines (cqlsh, DSBulk). */
  node: { host: string; port: number };
  client: Client;
  /** Drops the bench keyspace and creates it again, empty. */
  reset(): Promise<void>;
  s3: S3Client;
  bucket: string;
  /** Puts a file into the bench bucket, under prefix, through putFiles; returns its key. */
  upload(file: string, prefix: string): Promise<string>;
  bundles: Bundles;
  data: Dataset;
  /** The uploaded event log, and the 20,000-event object ours ingests first as a warm-up. */
  keys: { events: string; warmup: string };
  runNode: RunNode;
  /** Records an ingest contender's runs (wall times in ms for `rows` plays each) and logs them. */
  contender(
    name: string,
    description: string,
    ms: number[],
    rows: number,
    extra?: Partial<ContenderResult>,
  ): ContenderResult;
  results: Collected;
}

/** The bench's own keyspace, LocalStack (unless an endpoint is given), quiet logs. */
function benchEnv(parent: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(parent)) if (v !== undefined) env[k] = v;
  return {
    ...env,
    CASSANDRA_KEYSPACE: KEYSPACE,
    AWS_ENDPOINT_URL: env.AWS_ENDPOINT_URL ?? LOCALSTACK_URL,
    // LocalStack takes any credentials; the SDK needs some to sign with.
    AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID ?? 'test',
    AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY ?? 'test',
    LOG_LEVEL: 'warn',
    // The SDK's notice that its 2027 releases need Node 22 (the lockfile pins releases that support 20).
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/**
 * createS3 leaves credentials to the SDK's default chain, which reads process.env: the bench does not
 * write that, so its client signs with the credentials of the bench's environment instead.
 */
function benchS3(cfg: Config, env: Record<string, string>): S3Client {
  const s3 = createS3(cfg.aws);
  const credentials = {
    accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
    ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
  };
  s3.config.credentials = async () => credentials;
  return s3;
}

/** host or host:port or [ipv6]:port, as lib/config.ts accepts them. */
function hostAndPort(point: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(point);
  return { host: m?.[1] ?? point, port: Number(m?.[2] ?? 9042) };
}

export async function createContext(args: BenchArgs): Promise<BenchContext> {
  const started = Date.now();
  const log = (m: string) =>
    process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${m}\n`);
  const stack = readStackSettings();
  log('bringing the local stack up');
  await stackUp(stack);
  log('bundling the handlers and runners');
  const bundles = await buildBundles();
  const data = await dataset(outDir, args.events, 'bench', log);
  log(
    `data: ${data.events.toLocaleString()} events, ${data.plays.toLocaleString()} plays, ${(data.bytes / 1048576).toFixed(0)} MB`,
  );

  const base = benchEnv(process.env);
  const cfg = loadConfig(base);
  const env = { ...base, AWS_REGION: cfg.aws.region };
  const client = createClient(cfg.cassandra);
  await client.connect();
  const reset = async () => {
    await client.execute(`DROP KEYSPACE IF EXISTS ${KEYSPACE}`);
    await applySchema(client, KEYSPACE, { class: 'SimpleStrategy', replicationFactor: 1 });
  };
  const s3 = benchS3(cfg, env);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET })).catch(() => undefined);
  const upload = async (file: string, prefix: string) => {
    const [{ key }] = (await putFiles(s3, [file], { bucket: BUCKET, prefix })) as [Uploaded];
    return key;
  };
  const warm = await writeEventFiles({ outDir: join(outDir, 'warmup'), events: 20_000, seed: 'warmup' });
  const keys = {
    warmup: await upload(warm.files[0]?.path ?? '', 'bench/warmup/'),
    events: await upload(data.eventsFile, 'bench/events/'),
  };

  const results: Collected = { ingest: [], memory: [], reads: [], handlers: [] };
  const contender: BenchContext['contender'] = (name, description, ms, rows, extra = {}) => {
    const result: ContenderResult = {
      name,
      description,
      rowsPerSec: spread(ms.map((m) => perSec(rows, m))),
      cqlWritesPerSec: spread(ms.map((m) => perSec(rows * playTables.length, m))),
      ...extra,
    };
    results.ingest.push(result);
    log(
      `${name}: ${Math.round(result.rowsPerSec.median).toLocaleString()} rows/s (runs ${result.rowsPerSec.runs.map(Math.round).join(', ')})`,
    );
    return result;
  };

  return {
    args,
    started,
    log,
    stack,
    env,
    cfg,
    node: hostAndPort(cfg.cassandra.contactPoints[0] ?? '127.0.0.1'),
    client,
    reset,
    s3,
    bucket: BUCKET,
    upload,
    bundles,
    data,
    keys,
    runNode: nodeRunner(env, log),
    contender,
    results,
  };
}

export async function closeContext(ctx: BenchContext): Promise<void> {
  await ctx.client.shutdown();
  ctx.s3.destroy();
}
