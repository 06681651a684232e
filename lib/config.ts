// Configuration from the environment, read and validated once. Every setting has a documented
// default; a bad value fails at start with an error naming the variable. Domain code receives a
// Config and never reads process.env itself.
import { accessSync, constants, statSync } from 'node:fs';
import { parseCorsOrigins } from './cors';
import { type Level, LOG_LEVELS } from './log';

export const CONSISTENCIES = ['ONE', 'LOCAL_ONE', 'QUORUM', 'LOCAL_QUORUM', 'EACH_QUORUM', 'ALL'] as const;
export type Consistency = (typeof CONSISTENCIES)[number];

const AUTH_KINDS = ['none', 'password', 'sigv4'] as const;

export type CassandraAuth =
  | { kind: 'none' }
  | { kind: 'password'; username: string; password: string }
  | { kind: 'sigv4'; region: string };

export type Replication =
  | { class: 'SimpleStrategy'; replicationFactor: number }
  | { class: 'NetworkTopologyStrategy'; datacenters: Record<string, number> };

export interface CassandraConfig {
  contactPoints: string[];
  localDataCenter: string;
  keyspace: string;
  replication: Replication;
  writeConsistency: Consistency;
  readConsistency: Consistency;
  auth: CassandraAuth;
  /** TLS is on when a CA file is given or CASSANDRA_TLS=true. */
  tls: { enabled: boolean; caFile: string | undefined };
  requestTimeoutMs: number;
  /**
   * Connections the driver keeps to each host. Amazon Keyspaces serves at most 3,000 requests a
   * second on one connection, and its public endpoint has 9 hosts.
   */
  connectionsPerHost: number;
}

export interface IngestConfig {
  /** Write requests (partition batches or single inserts) in flight at once. */
  concurrency: number;
  /** How long one write (or ledger statement) is retried on timeout, overload or unavailable. */
  retryBudgetMs: number;
  /** At most this many rows a second to each table (Amazon Keyspaces' capacity); none: as fast as it goes. */
  maxWritesPerSecond: number | undefined;
  /** At most this long of reading per invocation (the Lambda's remaining time caps it too); none: to the end. */
  deadlineMs: number | undefined;
  /** Kept free at the end of an invocation's time: to drain in-flight writes and record the checkpoint. */
  deadlineMarginMs: number;
  /** How long a claim on an object version holds before another delivery may take it over. */
  leaseMs: number;
  /** A download that gets no byte for this long is resumed with a ranged GET (or fails, after 10 tries). */
  readStallMs: number;
  /** The ingest queue, for continuations and retry backoff (the Lambda; unset for the CLI). */
  queueUrl: string | undefined;
  /** Where a message whose object can never be ingested goes, for operators to see (and redrive). */
  deadLetterQueueUrl: string | undefined;
  /**
   * The bucket reports and rejects go to; deployed, the stack's outputs bucket, so they never
   * trigger an ingest. Unset (the CLI, by default): the source object's own bucket.
   */
  outputBucket: string | undefined;
  /** Key prefix of the rejects objects, in the output bucket. */
  rejectsPrefix: string;
  /** Key prefix of the report objects (one JSON report per ingested object), in the output bucket. */
  reportsPrefix: string;
  /**
   * An object larger than this (bytes as stored) is ingested in splits read at once (lib/ingest/
   * split-version.ts); none (INGEST_SPLIT_BYTES=0): every object is read by one delivery at a time.
   */
  splitBytes: number | undefined;
}

export interface ApiConfig {
  /** Origins allowed by CORS; ['*'] allows any, [] none. */
  corsOrigins: string[];
  /** Signs pagination cursors so a tampered one is refused; set it per deployment (read it through apiCursorSecret). */
  cursorSecret: string;
  /** Running in AWS Lambda, not under serverless offline (which sets IS_OFFLINE=true). */
  deployedLambda: boolean;
  /** Who may call the API, as the environment says it (read it through apiAuth). */
  auth: { issuer: string | undefined; audience: string; verifiedBy: string | undefined };
}

/** The local issuer the stack scripts run (scripts/stack/issuer.ts): the default outside AWS. */
export const LOCAL_ISSUER = 'http://127.0.0.1:4580';
export const DEFAULT_AUDIENCE = 'tracklog';

export interface AuthConfig {
  /** The OIDC issuer of the bearer tokens (its `iss`); its keys are found by OIDC discovery. */
  issuer: string;
  /** The audience the tokens must name (`aud`). */
  audience: string;
  /**
   * Who checks the token's signature, issuer, audience and expiry. `function`: the function itself,
   * against the issuer's keys. `gateway`: API Gateway's JWT authorizer did, before the function ran,
   * and the function reads the claims it verified; only in AWS, never under serverless offline
   * (whose JWT authorizer checks no signature, and which lets any request set those claims).
   */
  verifiedBy: 'function' | 'gateway';
}

export interface AwsConfig {
  region: string;
  /** LocalStack or another S3/SQS-compatible endpoint; unset means AWS. */
  endpoint: string | undefined;
  s3ForcePathStyle: boolean;
}

export interface MetricsConfig {
  /** CloudWatch namespace of the EMF metrics (POWERTOOLS_METRICS_NAMESPACE). */
  namespace: string;
  /** Their `service` dimension (POWERTOOLS_SERVICE_NAME): deployed, `<service>-<stage>`. */
  service: string;
}

export interface Config {
  cassandra: CassandraConfig;
  metrics: MetricsConfig;
  ingest: IngestConfig;
  api: ApiConfig;
  aws: AwsConfig;
  /** SSM parameters (SecureString) holding secrets, fetched once at start by resolveSecrets. */
  secretParameters: { cassandraPassword: string | undefined; cursorSecret: string | undefined };
  logLevel: Level;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string, fallback: string): string;
function str(env: Env, name: string, fallback?: undefined): string | undefined;
function str(env: Env, name: string, fallback?: string): string | undefined {
  const value = env[name]?.trim();
  return value !== undefined && value.length > 0 ? value : fallback;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max)
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function optionalInt(env: Env, name: string, min: number, max: number): number | undefined {
  return str(env, name) === undefined ? undefined : int(env, name, 0, min, max);
}

function bucketName(env: Env, name: string): string | undefined {
  const value = str(env, name);
  if (value !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(value))
    throw new ConfigError(name, `is not an S3 bucket name: "${value}"`);
  return value;
}

function url(env: Env, name: string): string | undefined {
  const value = str(env, name);
  if (value !== undefined && !/^https?:\/\/[^\s/]+/.test(value))
    throw new ConfigError(name, `must be an http(s) URL, got "${value}"`);
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = str(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  const match = allowed.find((a) => a.toLowerCase() === raw.toLowerCase());
  if (!match) throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  return match;
}

/**
 * Chosen by measurement (200,000 generated events, one local node): 8 requests in flight gave 18k
 * events/s, 16–32 about 22k, 64 25k, 128 24k.
 */
export const DEFAULT_INGEST_CONCURRENCY = 64;

/** With the backoff of lib/cassandra/retry.ts: rides out a node that restarts in up to ~30 s. */
export const DEFAULT_INGEST_RETRY_BUDGET_MS = 60_000;

/**
 * Chosen by measurement (bench/README.md, "Parts"): a part that stops reading has drained its 64
 * partition batches in flight and recorded its checkpoint 0.8 s later on average (at most 1.8 s over
 * 36 parts of 2 GiB objects on the local node; once 13.8 s, under serverless offline while the node
 * was slow); the rest is room for a retried write, which gives up at the end of this margin rather
 * than run into the hard timeout.
 */
export const DEFAULT_INGEST_DEADLINE_MARGIN_MS = 15_000;

/** Longer than the ingest function's timeout (900 s), so a live invocation never loses its claim. */
export const DEFAULT_INGEST_LEASE_MS = 960_000;
/** Objects above this are split (the reasons and the measurements: docs/splits.md). */
export const DEFAULT_INGEST_SPLIT_BYTES = 128 * 1024 * 1024;

function ssmName(env: Env, name: string): string | undefined {
  const value = str(env, name);
  if (value !== undefined && !/^[\w./-]+$/.test(value))
    throw new ConfigError(name, `is not an SSM parameter name: "${value}"`);
  return value;
}

/** A key prefix, always ending in '/'. */
function prefix(env: Env, name: string, fallback: string): string {
  const value = str(env, name, fallback);
  if (value.startsWith('/')) throw new ConfigError(name, `must not start with /, got "${value}"`);
  return value.endsWith('/') ? value : `${value}/`;
}

/**
 * Lowercase only: Cassandra folds unquoted names to lowercase, so a mixed-case name would mean one
 * keyspace where it is quoted and another where it is not. 48 characters is Cassandra's limit.
 */
export const KEYSPACE_NAME = /^[a-z][a-z0-9_]{0,47}$/;

/** "SimpleStrategy:1" or "NetworkTopologyStrategy:dc1=3,dc2=3". */
export function parseReplication(raw: string, variable = 'CASSANDRA_REPLICATION'): Replication {
  const [strategy, spec = ''] = raw.split(':', 2).map((s) => s.trim());
  if (strategy === 'SimpleStrategy') {
    const rf = Number(spec);
    if (!Number.isInteger(rf) || rf < 1)
      throw new ConfigError(variable, `SimpleStrategy needs a factor, e.g. SimpleStrategy:1`);
    return { class: 'SimpleStrategy', replicationFactor: rf };
  }
  if (strategy === 'NetworkTopologyStrategy') {
    const datacenters: Record<string, number> = {};
    for (const part of spec.split(',').filter((p) => p.trim().length > 0)) {
      const [dc, factor] = part.split('=').map((s) => s.trim());
      const rf = Number(factor);
      if (!dc || !/^[\w.-]+$/.test(dc) || !Number.isInteger(rf) || rf < 1) {
        throw new ConfigError(variable, `bad datacenter entry "${part}", expected name=factor`);
      }
      datacenters[dc] = rf;
    }
    if (Object.keys(datacenters).length === 0) {
      throw new ConfigError(
        variable,
        'NetworkTopologyStrategy needs datacenters, e.g. NetworkTopologyStrategy:dc1=3',
      );
    }
    return { class: 'NetworkTopologyStrategy', datacenters };
  }
  throw new ConfigError(
    variable,
    `must be SimpleStrategy:<n> or NetworkTopologyStrategy:<dc>=<n>,..., got "${raw}"`,
  );
}

function readAuth(env: Env, region: string): CassandraAuth {
  const kind = oneOf(env, 'CASSANDRA_AUTH', AUTH_KINDS, 'none');
  if (kind === 'password') {
    const username = str(env, 'CASSANDRA_USERNAME');
    // The password is given directly, or fetched from SSM at start (resolveSecrets).
    const password =
      str(env, 'CASSANDRA_PASSWORD') ?? (str(env, 'CASSANDRA_PASSWORD_SSM_PARAMETER') ? '' : undefined);
    if (!username) throw new ConfigError('CASSANDRA_USERNAME', 'is required when CASSANDRA_AUTH=password');
    if (password === undefined) {
      throw new ConfigError(
        'CASSANDRA_PASSWORD',
        'is required when CASSANDRA_AUTH=password (or name an SSM parameter in CASSANDRA_PASSWORD_SSM_PARAMETER)',
      );
    }
    return { kind, username, password };
  }
  if (kind === 'sigv4') return { kind, region };
  return { kind: 'none' };
}

/** Local development works without one; a deployment names an SSM parameter (CURSOR_SECRET_SSM_PARAMETER). */
export const DEV_CURSOR_SECRET = 'tracklog-local-development-cursor-secret';

/** In AWS Lambda, but not under serverless offline (which sets IS_OFFLINE=true). */
function inDeployedLambda(env: Env): boolean {
  return str(env, 'AWS_LAMBDA_FUNCTION_NAME') !== undefined && str(env, 'IS_OFFLINE') !== 'true';
}

function readCursorSecret(env: Env): string {
  const secret = str(env, 'CURSOR_SECRET', DEV_CURSOR_SECRET);
  if (secret.length < 16) throw new ConfigError('CURSOR_SECRET', 'must be at least 16 characters');
  return secret;
}

/**
 * The API's cursor secret (after resolveSecrets). The development default is in this public source,
 * so cursors signed with it could be forged: a deployed Lambda refuses it. Only the functions that
 * sign cursors ask, so the ingest needs no cursor secret at all.
 */
export function apiCursorSecret(cfg: Config): string {
  if (cfg.api.cursorSecret === DEV_CURSOR_SECRET && cfg.api.deployedLambda) {
    throw new ConfigError(
      'CURSOR_SECRET',
      'the development default is refused in AWS Lambda: name an SSM parameter in CURSOR_SECRET_SSM_PARAMETER (or set CURSOR_SECRET)',
    );
  }
  return cfg.api.cursorSecret;
}

/**
 * Who may call the API (lib/auth.ts), checked when an API function asks, so that the ingest needs
 * none of it. In AWS the issuer is required and https; `gateway` is refused outside AWS Lambda:
 * serverless offline's gateway checks no signature, and lets any request set the claims it passes.
 */
export function apiAuth(cfg: Config): AuthConfig {
  const { issuer, audience, verifiedBy = 'function' } = cfg.api.auth;
  const deployed = cfg.api.deployedLambda;
  if (verifiedBy !== 'function' && verifiedBy !== 'gateway')
    throw new ConfigError('AUTH_VERIFIED_BY', `must be function or gateway, got "${verifiedBy}"`);
  if (verifiedBy === 'gateway' && !deployed)
    throw new ConfigError(
      'AUTH_VERIFIED_BY',
      'is gateway outside AWS Lambda, where no gateway verified the token (serverless offline checks no signature); use function',
    );
  const iss = issuer ?? (deployed ? undefined : LOCAL_ISSUER);
  if (iss === undefined)
    throw new ConfigError('AUTH_ISSUER', 'is required in AWS: the OIDC issuer of the API’s bearer tokens');
  if (deployed && !iss.startsWith('https://'))
    throw new ConfigError('AUTH_ISSUER', `must be an https URL in AWS, got "${iss}"`);
  // Exactly as given: a token's `iss` must equal it, trailing slash and all (Auth0's ends in one).
  return { issuer: iss, audience, verifiedBy };
}

function readCorsOrigins(env: Env): string[] {
  try {
    // Unset is none: a function that lost its variable must not open the API to every origin.
    return parseCorsOrigins(str(env, 'CORS_ORIGINS', ''));
  } catch (err: unknown) {
    throw new ConfigError('CORS_ORIGINS', (err as Error).message);
  }
}

/** A PEM file the process can read now, rather than a TLS failure on the first connection. */
function readableFile(env: Env, name: string): string | undefined {
  const path = str(env, name);
  if (path === undefined) return undefined;
  try {
    if (!statSync(path).isFile()) throw new ConfigError(name, `${path} is not a file`);
    accessSync(path, constants.R_OK);
  } catch (err: unknown) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(
      name,
      code === 'ENOENT' ? `${path} does not exist` : `${path} cannot be read (${code ?? String(err)})`,
    );
  }
  return path;
}

/** Amazon Keyspaces writes at LOCAL_QUORUM only and reads at ONE, LOCAL_ONE or LOCAL_QUORUM: anything else fails every request. */
function keyspacesConsistencies(write: Consistency, read: Consistency): void {
  if (write !== 'LOCAL_QUORUM')
    throw new ConfigError(
      'CASSANDRA_WRITE_CONSISTENCY',
      `is ${write}: Amazon Keyspaces (CASSANDRA_AUTH=sigv4) accepts writes at LOCAL_QUORUM only`,
    );
  if (!['ONE', 'LOCAL_ONE', 'LOCAL_QUORUM'].includes(read))
    throw new ConfigError(
      'CASSANDRA_READ_CONSISTENCY',
      `is ${read}: Amazon Keyspaces (CASSANDRA_AUTH=sigv4) reads at ONE, LOCAL_ONE or LOCAL_QUORUM only`,
    );
}

export function loadConfig(env: Env = process.env): Config {
  const region = str(env, 'AWS_REGION', str(env, 'AWS_DEFAULT_REGION', 'us-east-1'));
  const keyspace = str(env, 'CASSANDRA_KEYSPACE', 'tracklog');
  if (!KEYSPACE_NAME.test(keyspace)) {
    throw new ConfigError(
      'CASSANDRA_KEYSPACE',
      `must be a lowercase letter followed by up to 47 lowercase letters, digits or _, got "${keyspace}"`,
    );
  }
  const contactPoints = str(env, 'CASSANDRA_CONTACT_POINTS', '127.0.0.1:9042')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  for (const point of contactPoints) {
    if (!/^[\w.-]+(:\d{1,5})?$/.test(point) && !/^\[[0-9a-fA-F:]+\](:\d{1,5})?$/.test(point)) {
      throw new ConfigError('CASSANDRA_CONTACT_POINTS', `"${point}" is not host or host:port`);
    }
  }
  const caFile = readableFile(env, 'CASSANDRA_TLS_CA_FILE');
  const auth = readAuth(env, region);
  const endpoint = url(env, 'AWS_ENDPOINT_URL');
  if (str(env, 'INGEST_MAX_RETRIES') !== undefined) {
    throw new ConfigError(
      'INGEST_MAX_RETRIES',
      'is no longer read: writes retry for a time budget, INGEST_RETRY_BUDGET_MS (default 60000)',
    );
  }
  const rejectsPrefix = prefix(env, 'INGEST_REJECTS_PREFIX', 'rejected/');
  const reportsPrefix = prefix(env, 'INGEST_REPORTS_PREFIX', 'reports/');
  if (rejectsPrefix.startsWith(reportsPrefix) || reportsPrefix.startsWith(rejectsPrefix)) {
    throw new ConfigError(
      'INGEST_REPORTS_PREFIX',
      `must not overlap INGEST_REJECTS_PREFIX (${rejectsPrefix})`,
    );
  }
  const writeConsistency = oneOf(env, 'CASSANDRA_WRITE_CONSISTENCY', CONSISTENCIES, 'LOCAL_QUORUM');
  const readConsistency = oneOf(env, 'CASSANDRA_READ_CONSISTENCY', CONSISTENCIES, 'LOCAL_QUORUM');
  if (auth.kind === 'sigv4') keyspacesConsistencies(writeConsistency, readConsistency);
  return {
    cassandra: {
      contactPoints,
      localDataCenter: str(env, 'CASSANDRA_LOCAL_DC', 'datacenter1'),
      keyspace,
      replication: parseReplication(str(env, 'CASSANDRA_REPLICATION', 'SimpleStrategy:1')),
      writeConsistency,
      readConsistency,
      auth,
      tls: { enabled: caFile !== undefined || bool(env, 'CASSANDRA_TLS', false), caFile },
      requestTimeoutMs: int(env, 'CASSANDRA_REQUEST_TIMEOUT_MS', 12_000, 100, 600_000),
      connectionsPerHost: int(env, 'CASSANDRA_CONNECTIONS_PER_HOST', auth.kind === 'sigv4' ? 2 : 1, 1, 64),
    },
    ingest: {
      concurrency: int(env, 'INGEST_CONCURRENCY', DEFAULT_INGEST_CONCURRENCY, 1, 4096),
      retryBudgetMs: int(env, 'INGEST_RETRY_BUDGET_MS', DEFAULT_INGEST_RETRY_BUDGET_MS, 0, 900_000),
      maxWritesPerSecond: optionalInt(env, 'INGEST_MAX_WRITES_PER_SECOND', 1, 10_000_000),
      deadlineMs: optionalInt(env, 'INGEST_DEADLINE_MS', 1000, 24 * 3_600_000),
      deadlineMarginMs: int(env, 'INGEST_DEADLINE_MARGIN_MS', DEFAULT_INGEST_DEADLINE_MARGIN_MS, 0, 600_000),
      leaseMs: int(env, 'INGEST_LEASE_MS', DEFAULT_INGEST_LEASE_MS, 1000, 24 * 3_600_000),
      readStallMs: int(env, 'INGEST_READ_STALL_MS', 30_000, 100, 900_000),
      outputBucket: bucketName(env, 'INGEST_OUTPUT_BUCKET'),
      queueUrl: url(env, 'INGEST_QUEUE_URL'),
      deadLetterQueueUrl: url(env, 'INGEST_DEAD_LETTER_QUEUE_URL'),
      rejectsPrefix,
      reportsPrefix,
      splitBytes: int(env, 'INGEST_SPLIT_BYTES', DEFAULT_INGEST_SPLIT_BYTES, 0, 2 ** 50) || undefined,
    },
    metrics: {
      namespace: str(env, 'POWERTOOLS_METRICS_NAMESPACE', 'tracklog'),
      service: str(env, 'POWERTOOLS_SERVICE_NAME', 'tracklog'),
    },
    api: {
      corsOrigins: readCorsOrigins(env),
      cursorSecret: readCursorSecret(env),
      deployedLambda: inDeployedLambda(env),
      auth: {
        issuer: url(env, 'AUTH_ISSUER'),
        audience: str(env, 'AUTH_AUDIENCE', DEFAULT_AUDIENCE),
        verifiedBy: str(env, 'AUTH_VERIFIED_BY')?.toLowerCase(),
      },
    },
    aws: {
      region,
      endpoint,
      s3ForcePathStyle: bool(env, 'S3_FORCE_PATH_STYLE', endpoint !== undefined),
    },
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    secretParameters: {
      cassandraPassword: ssmName(env, 'CASSANDRA_PASSWORD_SSM_PARAMETER'),
      cursorSecret: ssmName(env, 'CURSOR_SECRET_SSM_PARAMETER'),
    },
  };
}

let cached: Config | undefined;

/** The process's configuration, validated on first use and reused afterwards. */
export function config(): Config {
  cached ??= loadConfig();
  return cached;
}
