// The stack scripts' own settings, read from the environment once and validated.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export type StackMode = 'auto' | 'host' | 'docker';

export interface StackSettings {
  mode: StackMode;
  /** Where run state lives: data, logs, pid files (git-ignored). */
  localDir: string;
  /** Where downloads and installs are cached, outside the repository. */
  cacheDir: string;
  /**
   * JVM heap of every Cassandra node, as -Xmx takes it, when TRACKLOG_CASSANDRA_HEAP sets one;
   * otherwise each node's own default (cassandraHeap in cassandra.ts: 1G alone, 512M in a cluster).
   */
  cassandraHeap: string | undefined;
  /** How many Cassandra nodes `up` runs, on 127.0.0.1 … 127.0.0.<n>; 1 unless asked for more. */
  cassandraNodes: number;
  /**
   * Whether the nodes these settings start take clients over TLS only (client_encryption_options),
   * with certificates of a local CA (tls.ts); plain unless `--tls` or TRACKLOG_CASSANDRA_TLS=true.
   */
  cassandraTls: boolean;
  /** A Python >= 3.12 to run LocalStack with, when the search would not find the one wanted. */
  python: string | undefined;
  /** Set when the user points the project at a Cassandra of their own: the scripts start none. */
  externalCassandra: string | undefined;
  /** Set when the user points the project at an S3/SQS endpoint of their own: the scripts start none. */
  externalAws: string | undefined;
  /**
   * Top-level settings a node's cassandra.yaml gets instead of the project file's, for the nodes
   * started with these settings (the bench's commit-log modes): key → value, or null to leave the
   * key out. Never read from the environment; nodeConfig applies it.
   */
  cassandraYaml?: Readonly<Record<string, string | null>>;
}

export const repoRoot = resolve(__dirname, '..', '..');
export const stackConfigDir = join(repoRoot, 'stack');

export const CASSANDRA_PORT = 9042;
export const LOCALSTACK_URL = 'http://127.0.0.1:4566';
/**
 * Each node takes about 1 GB of memory and a share of the CPU; nine already exceed what a developer's
 * machine gives a local cluster, and a larger number is more likely a typo than a wish.
 */
export const MAX_CASSANDRA_NODES = 9;

function nonEmpty(name: string): string | undefined {
  const value = process.env[name];
  return value !== undefined && value.trim().length > 0 ? value.trim() : undefined;
}

/** A node count as `--nodes` and TRACKLOG_CASSANDRA_NODES take it, or undefined when it is not one. */
export function parseNodeCount(value: string): number | undefined {
  if (!/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n >= 1 && n <= MAX_CASSANDRA_NODES ? n : undefined;
}

/** The settings; `nodes` (from `--nodes`) wins over TRACKLOG_CASSANDRA_NODES, `--tls` turns TLS on. */
export function readStackSettings(opts: { nodes?: number; tls?: boolean } = {}): StackSettings {
  const mode = nonEmpty('TRACKLOG_STACK') ?? 'auto';
  if (mode !== 'auto' && mode !== 'host' && mode !== 'docker') {
    throw new Error(`TRACKLOG_STACK must be auto, host or docker (got "${mode}")`);
  }
  const heap = nonEmpty('TRACKLOG_CASSANDRA_HEAP');
  if (heap !== undefined && !/^\d+[mMgG]$/.test(heap)) {
    throw new Error(`TRACKLOG_CASSANDRA_HEAP must look like 1G or 768M (got "${heap}")`);
  }
  const nodesSetting = nonEmpty('TRACKLOG_CASSANDRA_NODES');
  const nodes = opts.nodes ?? (nodesSetting === undefined ? 1 : parseNodeCount(nodesSetting));
  if (nodes === undefined) {
    throw new Error(
      `TRACKLOG_CASSANDRA_NODES must be a whole number from 1 to ${MAX_CASSANDRA_NODES} (got "${nodesSetting}")`,
    );
  }
  const tlsSetting = nonEmpty('TRACKLOG_CASSANDRA_TLS') ?? 'false';
  if (tlsSetting !== 'true' && tlsSetting !== 'false') {
    throw new Error(`TRACKLOG_CASSANDRA_TLS must be true or false (got "${tlsSetting}")`);
  }
  const xdg = nonEmpty('XDG_CACHE_HOME') ?? join(homedir(), '.cache');
  return {
    mode,
    localDir: resolve(nonEmpty('TRACKLOG_LOCAL_DIR') ?? join(repoRoot, '.local')),
    cacheDir: resolve(nonEmpty('TRACKLOG_CACHE_DIR') ?? join(xdg, 'tracklog')),
    cassandraHeap: heap,
    cassandraNodes: nodes,
    cassandraTls: opts.tls === true || tlsSetting === 'true',
    python: nonEmpty('TRACKLOG_PYTHON'),
    externalCassandra: externalContactPoints(nonEmpty('CASSANDRA_CONTACT_POINTS')),
    externalAws: nonEmpty('AWS_ENDPOINT_URL'),
  };
}

/**
 * CASSANDRA_CONTACT_POINTS names a Cassandra the user runs, unless it names only this stack's own
 * nodes (127.0.0.<n>:9042, as `stack:up --nodes` prints them for the rest of the project to use):
 * exporting that line must not make the stack scripts stop managing the nodes it lists.
 */
export function externalContactPoints(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const points = value
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  const ours = (p: string) => {
    const m = /^127\.0\.0\.(\d+):(\d+)$/.exec(p);
    return m !== null && parseNodeCount(m[1] ?? '') !== undefined && Number(m[2]) === CASSANDRA_PORT;
  };
  return points.length > 0 && points.every(ours) ? undefined : value;
}

export function stackLog(message: string): void {
  process.stderr.write(`[stack] ${message}\n`);
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
