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
  /** JVM heap for the local Cassandra, as -Xmx takes it. */
  cassandraHeap: string;
  /** A Python >= 3.12 to run LocalStack with, when the search would not find the one wanted. */
  python: string | undefined;
  /** Set when the user points the project at a Cassandra of their own: the scripts start none. */
  externalCassandra: string | undefined;
  /** Set when the user points the project at an S3/SQS endpoint of their own: the scripts start none. */
  externalAws: string | undefined;
}

export const repoRoot = resolve(__dirname, '..', '..');
export const stackConfigDir = join(repoRoot, 'stack');

export const CASSANDRA_PORT = 9042;
export const LOCALSTACK_URL = 'http://127.0.0.1:4566';

function nonEmpty(name: string): string | undefined {
  const value = process.env[name];
  return value !== undefined && value.trim().length > 0 ? value.trim() : undefined;
}

export function readStackSettings(): StackSettings {
  const mode = nonEmpty('TRACKLOG_STACK') ?? 'auto';
  if (mode !== 'auto' && mode !== 'host' && mode !== 'docker') {
    throw new Error(`TRACKLOG_STACK must be auto, host or docker (got "${mode}")`);
  }
  const heap = nonEmpty('TRACKLOG_CASSANDRA_HEAP') ?? '1G';
  if (!/^\d+[mMgG]$/.test(heap)) {
    throw new Error(`TRACKLOG_CASSANDRA_HEAP must look like 1G or 768M (got "${heap}")`);
  }
  const xdg = nonEmpty('XDG_CACHE_HOME') ?? join(homedir(), '.cache');
  return {
    mode,
    localDir: resolve(nonEmpty('TRACKLOG_LOCAL_DIR') ?? join(repoRoot, '.local')),
    cacheDir: resolve(nonEmpty('TRACKLOG_CACHE_DIR') ?? join(xdg, 'tracklog')),
    cassandraHeap: heap,
    python: nonEmpty('TRACKLOG_PYTHON'),
    externalCassandra: nonEmpty('CASSANDRA_CONTACT_POINTS'),
    externalAws: nonEmpty('AWS_ENDPOINT_URL'),
  };
}

export function stackLog(message: string): void {
  process.stderr.write(`[stack] ${message}\n`);
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
