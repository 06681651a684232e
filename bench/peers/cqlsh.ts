// The peer: cqlsh COPY FROM (cqlsh from PyPI, in a virtualenv the bench creates and caches) of the
// denormalized rows into each of the three tables.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPython } from '../../scripts/stack/localstack';
import { runCommand } from '../../scripts/stack/proc';
import type { StackSettings } from '../../scripts/stack/settings';
import { runWithCpu } from '../cpu';

export const CQLSH_VERSION = '6.2.2';

/** Where the peers connect: the bench's first contact point. */
export interface CassandraNode {
  host: string;
  port: number;
}

export interface CopySettings {
  numProcesses: number;
  chunkSize: number;
  maxBatchSize: number;
}

export async function ensureCqlsh(s: StackSettings, log: (m: string) => void): Promise<string> {
  const python = findPython(s);
  if (!('path' in python)) throw new Error(python.missing);
  const venv = join(s.cacheDir, `cqlsh-${CQLSH_VERSION}-py${python.version}`);
  const bin = join(venv, 'bin', 'cqlsh');
  if (existsSync(join(venv, '.installed'))) return bin;
  log(`installing cqlsh ${CQLSH_VERSION} from PyPI into ${venv}`);
  mkdirSync(s.cacheDir, { recursive: true });
  for (const [cmd, args] of [
    [python.path, ['-m', 'venv', venv]],
    [
      join(venv, 'bin', 'python'),
      ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `cqlsh==${CQLSH_VERSION}`],
    ],
  ] as const) {
    const r = await runCommand(cmd, [...args]);
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.output}`);
  }
  writeFileSync(join(venv, '.installed'), new Date().toISOString());
  return bin;
}

/** COPY one CSV into one table; returns the wall time in ms (cqlsh start-up included). */
/** Where a peer loads to, and what it runs with. */
export interface PeerTarget {
  stack: StackSettings;
  node: CassandraNode;
  keyspace: string;
}

export async function copyFrom(
  cqlsh: string,
  { stack, node, keyspace }: PeerTarget,
  table: string,
  columns: string[],
  file: string,
  expectedRows: number,
  settings: CopySettings,
): Promise<{ ms: number; cpuMs: number; retried: number }> {
  const cql =
    `COPY ${keyspace}.${table} (${columns.join(', ')}) FROM '${file}' WITH HEADER = TRUE ` +
    `AND NUMPROCESSES = ${settings.numProcesses} AND CHUNKSIZE = ${settings.chunkSize} ` +
    `AND MAXBATCHSIZE = ${settings.maxBatchSize} AND INGESTRATE = 100000000 AND MAXATTEMPTS = 5`;
  const started = performance.now();
  // cqlsh writes files of failed rows into its working directory: keep them out of the repository.
  const r = await runWithCpu(
    stack,
    cqlsh,
    [node.host, String(node.port), '--request-timeout', '60', '-e', cql],
    process.env,
    tmpdir(),
  );
  const ms = performance.now() - started;
  // A write that timed out is retried by cqlsh itself ("will retry later, attempt 1 of 5"), which is
  // part of its measured time, and makes cqlsh exit 1 even when every row got in. So the outcome is
  // read from its summary: only rows it gave up on, skipped or never reported count as failure.
  const imported = Number(/(\d+) rows imported/.exec(r.output)?.[1] ?? Number.NaN);
  const skipped = Number(/\((\d+) skipped\)/.exec(r.output)?.[1] ?? 0);
  if (imported !== expectedRows || skipped !== 0 || /given up|Exceeded maximum/i.test(r.output)) {
    throw new Error(
      `cqlsh COPY into ${table} failed (${imported} of ${expectedRows} rows imported, ${skipped} skipped):\n${r.output.slice(-2000)}`,
    );
  }
  return { ms, cpuMs: r.cpuMs, retried: (r.output.match(/will retry later/g) ?? []).length };
}
