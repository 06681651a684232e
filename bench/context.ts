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
import { cassandraNodeLayout } from '../scripts/stack/cassandra';
import { stackUp } from '../scripts/stack/index';
import { recordedProcess } from '../scripts/stack/service';
import { LOCALSTACK_URL, readStackSettings, type StackSettings } from '../scripts/stack/settings';
import type { BenchArgs } from './args';
import { type Bundles, buildBundles, outDir } from './build';
import { processCpuMs } from './cpu';
import { type Dataset, dataset } from './data';
import type { PeerTarget } from './peers/cqlsh';
import type { BenchResults, ContenderResult } from './report';
import { nodeRunner, type RunNode } from './run-node';
import { perSec, spread } from './stats';

export const KEYSPACE = 'bench';
export const BUCKET = 'tracklog-bench';

/** One run of a contender: its wall time, and the CPU time of the loader and of Cassandra meanwhile. */
export interface RunCost {
  wallMs: number;
  /** User + system CPU of the loading processes (all of them: cqlsh's workers, DSBulk's JVM). */
  cpuMs?: number;
  cassandraCpuMs?: number;
}

/** What the sections measured so far, as it goes into the results. */
export type Collected = Pick<
  BenchResults,
  | 'ingest'
  | 'memory'
  | 'reads'
  | 'handlers'
  | 'flow'
  | 'parsing'
  | 'parts'
  | 'splits'
  | 'profile'
  | 'commitlog'
>;

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
  /** What the peers load into: the bench keyspace on that node. */
  peer: PeerTarget;
  readonly client: Client;
  /**
   * Shuts the client down, runs `restart` (which stops and starts the node) and connects a new
   * client: a client left connected through repeated restarts of its only node lost track of it in
   * cassandra-driver 4.10's control connection (a TypeError on a null host, uncaught).
   */
  reconnectAround(restart: () => Promise<void>): Promise<void>;
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
  /** The local Cassandra node's process, when this stack started it (looked up at each read). */
  readonly cassandraPid: number | undefined;
  /** Runs one measured run, adding the CPU time Cassandra used meanwhile to what it reports. */
  measure<T extends RunCost>(run: () => Promise<T>): Promise<T & { cassandraCpuMs: number }>;
  /** Records an ingest contender's runs (each of `rows` plays) and logs them. */
  contender(
    name: string,
    description: string,
    runs: RunCost[],
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
  let client = createClient(cfg.cassandra);
  await client.connect();
  const reconnectAround = async (restart: () => Promise<void>) => {
    await client.shutdown();
    await restart();
    client = createClient(cfg.cassandra);
    await client.connect();
  };
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

  // A node just started compiles its write path while it takes its first loads: one unmeasured load
  // of the warm-up object first, so that the first contender measured does not pay for it alone.
  const runNode = nodeRunner(env, log);
  log('warming the node up: one unmeasured ingest of the warm-up object');
  await reset();
  await runNode(bundles['runner-ours'], [BUCKET, keys.warmup]);

  const node = hostAndPort(cfg.cassandra.contactPoints[0] ?? '127.0.0.1');
  // The single node the bench loads (node 1): its CPU time is read from /proc around each run. Its
  // pid is looked up at each run: the commitlog section restarts the node.
  const pidFile = cassandraNodeLayout(stack, 1).paths.pidFile;
  const cassandraPid = () => recordedProcess(pidFile)?.pid;
  const measure: BenchContext['measure'] = async (run) => {
    const pid = cassandraPid();
    const before = pid !== undefined ? processCpuMs(pid) : Number.NaN;
    const result = await run();
    return { ...result, cassandraCpuMs: pid !== undefined ? processCpuMs(pid) - before : Number.NaN };
  };

  const results: Collected = { ingest: [], memory: [], reads: [], handlers: [] };
  const contender: BenchContext['contender'] = (name, description, runs, rows, extra = {}) => {
    const perPlay = (pick: (r: RunCost) => number | undefined) => {
      const values = runs.map(pick);
      return values.every((v) => v !== undefined && Number.isFinite(v))
        ? spread(values.map((v) => ((v as number) * 1000) / rows))
        : null;
    };
    const result: ContenderResult = {
      name,
      description,
      rowsPerSec: spread(runs.map((r) => perSec(rows, r.wallMs))),
      cqlWritesPerSec: spread(runs.map((r) => perSec(rows * playTables.length, r.wallMs))),
      cpuUsPerPlay: perPlay((r) => r.cpuMs),
      cassandraCpuUsPerPlay: perPlay((r) => r.cassandraCpuMs),
      ...extra,
    };
    results.ingest.push(result);
    const cpu = (s: ContenderResult['cpuUsPerPlay'], who: string) =>
      s ? `, ${who} ${s.median.toFixed(1)} µs CPU/play` : '';
    log(
      `${name}: ${Math.round(result.rowsPerSec.median).toLocaleString()} rows/s (runs ${result.rowsPerSec.runs.map(Math.round).join(', ')})` +
        `${cpu(result.cpuUsPerPlay, 'loader')}${cpu(result.cassandraCpuUsPerPlay, 'Cassandra')}`,
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
    node,
    peer: { stack, node, keyspace: KEYSPACE },
    get client() {
      return client;
    },
    reconnectAround,
    reset,
    s3,
    bucket: BUCKET,
    upload,
    bundles,
    data,
    keys,
    runNode,
    get cassandraPid() {
      return cassandraPid();
    },
    measure,
    contender,
    results,
  };
}

export async function closeContext(ctx: BenchContext): Promise<void> {
  await ctx.client.shutdown();
  ctx.s3.destroy();
}
