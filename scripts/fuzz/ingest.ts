// Fuzzing the whole ingest of one object with the real sink and ledger (Cassandra) and real reject
// files: mutated event logs and files that are not event logs (scripts/fuzz/mutations.ts), each
// checked against what must hold of every outcome. Used by the bounded run in the integration tier
// and by `npm run fuzz:ingest`.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Client } from 'cassandra-driver';
import type { Config } from '../../lib/config';
import { CassandraBatchSink } from '../../lib/ingest/batch-sink';
import { CassandraLedgerStore, Ledger } from '../../lib/ingest/ledger';
import { ingestObject } from '../../lib/ingest/pipeline';
import { fileRejectStore, partRejectsName } from '../../lib/ingest/reject-store';
import type { IngestReport } from '../../lib/ingest/report';
import type { ObjectSource } from '../../lib/ingest/types';
import { createLogger } from '../../lib/log';
import { baseLogs, type FuzzInput, fuzzInput, hugeLineInputs, randomSource } from './mutations';

/** An object held in memory, read in chunks of a random size (edges fall anywhere). */
function memorySource(input: FuzzInput, random: () => number): ObjectSource {
  const etag = randomUUID();
  const body = (from: number) => {
    const chunks: Buffer[] = [];
    for (let i = from; i < input.bytes.length; ) {
      const size = 1 + Math.floor(random() * 65_536);
      chunks.push(input.bytes.subarray(i, i + size));
      i += size;
    }
    return Readable.from(chunks);
  };
  return {
    source: `memory://${input.name}`,
    name: input.name,
    open: async () => ({ body: body(0), etag, versionId: undefined }),
    openAt: async (_v, offset) => ({ body: body(offset), etag, versionId: undefined }),
  };
}

/** What is wrong with an outcome; empty when every invariant holds. */
export function violations(input: FuzzInput, report: IngestReport): string[] {
  const out: string[] = [];
  if (report.status === 'completed') {
    if (report.rowsRead !== report.rowsWritten + report.rowsSkipped + report.rowsRejected)
      out.push(`completed, but read ${report.rowsRead} != written + skipped + rejected`);
    if (input.notAnEventLog)
      out.push(
        `completed (read ${report.rowsRead}, rejected ${report.rowsRejected}) though it is not an event log`,
      );
  } else if (report.status === 'failed') {
    if (!report.error || report.error.length < 12 || /undefined|\[object/.test(report.error))
      out.push(`failed without a message naming the problem: ${JSON.stringify(report.error)}`);
    if (report.failure !== 'input')
      out.push(`failed as ${report.failure}, not as an input problem: ${report.error}`);
  } else {
    out.push(`ended ${report.status}`);
  }
  return out;
}

export interface FuzzResult {
  input: FuzzInput;
  report: IngestReport;
  problems: string[];
}

export interface FuzzRun {
  results: FuzzResult[];
  byKind: Record<string, { inputs: number; completed: number; failed: number; violations: number }>;
}

/**
 * Ingests `count` fuzz inputs (plus the 20 MB lines) into the configured keyspace, one at a time.
 * A crash, a throw or an unhandled rejection anywhere is a finding too.
 */
export async function runIngestFuzz(opts: {
  client: Client;
  cfg: Config;
  count: number;
  seed: number;
  onResult?: (r: FuzzResult, index: number) => void;
}): Promise<FuzzRun> {
  const random = randomSource(opts.seed);
  const base = baseLogs();
  const dir = mkdtempSync(join(tmpdir(), 'fuzz-ingest-'));
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);
  process.on('unhandledRejection', onUnhandled);
  const log = createLogger('error', {}, () => undefined);
  const run: FuzzRun = { results: [], byKind: {} };
  try {
    const inputs = [...hugeLineInputs(base)];
    for (let n = 0; n < opts.count; n++) inputs.push(fuzzInput(n, base, random));
    for (const [i, input] of inputs.entries()) {
      const retry = { budgetMs: opts.cfg.ingest.retryBudgetMs };
      const report = await ingestObject(memorySource(input, random), {
        sink: new CassandraBatchSink(opts.client, opts.cfg.cassandra, {
          concurrency: opts.cfg.ingest.concurrency,
          retry,
        }),
        ledger: new Ledger(new CassandraLedgerStore(opts.client, opts.cfg.cassandra), { retry }),
        rejects: (_version, part) => fileRejectStore(join(dir, partRejectsName(`${i}`, part))),
        log,
        owner: randomUUID(),
        leaseMs: opts.cfg.ingest.leaseMs,
      });
      const problems = violations(input, report);
      if (unhandled.length > 0) problems.push(`unhandled rejection: ${String(unhandled.splice(0)[0])}`);
      const result = { input: { ...input, bytes: Buffer.alloc(0) }, report, problems };
      run.results.push(result);
      const k = run.byKind[input.kind] ?? { inputs: 0, completed: 0, failed: 0, violations: 0 };
      run.byKind[input.kind] = k;
      k.inputs++;
      if (report.status === 'completed') k.completed++;
      if (report.status === 'failed') k.failed++;
      if (problems.length > 0) k.violations++;
      opts.onResult?.(result, i);
    }
  } finally {
    process.off('unhandledRejection', onUnhandled);
    rmSync(dir, { recursive: true, force: true });
  }
  return run;
}
