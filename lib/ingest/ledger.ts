// The ingest ledger in Cassandra: one row per object version, read before an ingest (is it a
// duplicate?) and written as it starts and ends. Statements come from the data model.
import type { Client, QueryOptions } from 'cassandra-driver';
import { consistencyCode } from '../cassandra/client';
import { insertStatement, keyedSelectCql } from '../cassandra/cql';
import { ingestLedger, type LedgerEntry } from '../cassandra/model';
import { withRetry } from '../cassandra/retry';
import type { CassandraConfig } from '../config';
import type { Ledger } from './types';

function writeOptions(cfg: CassandraConfig): QueryOptions {
  return { prepare: true, isIdempotent: true, consistency: consistencyCode(cfg.writeConsistency) };
}

const ledgerColumns = ingestLedger.columns.map((c) => c.name);

function toNumber(value: unknown): number {
  return value === null || value === undefined ? 0 : Number(value);
}

export class CassandraLedger implements Ledger {
  private readonly insert;
  private readonly select: string;
  private readonly options: QueryOptions;

  constructor(
    private readonly client: Client,
    cfg: CassandraConfig,
    private readonly maxRetries: number,
  ) {
    this.insert = insertStatement(cfg.keyspace, ingestLedger);
    this.select = keyedSelectCql(cfg.keyspace, ingestLedger, ['source', 'etag'], ledgerColumns);
    this.options = writeOptions(cfg);
  }

  async find(source: string, etag: string): Promise<LedgerEntry | undefined> {
    const rs = await withRetry(() => this.client.execute(this.select, [source, etag], this.options), {
      maxRetries: this.maxRetries,
    });
    const row = rs.first();
    if (!row) return undefined;
    const text = (name: string) => (row.get(name) as string | null) ?? undefined;
    const date = (name: string) => (row.get(name) as Date | null) ?? undefined;
    return {
      source: row.get('source') as string,
      etag: row.get('etag') as string,
      versionId: text('version_id'),
      status: row.get('status') as LedgerEntry['status'],
      format: text('format'),
      rowsRead: toNumber(row.get('rows_read')),
      rowsWritten: toNumber(row.get('rows_written')),
      rowsSkipped: toNumber(row.get('rows_skipped')),
      rowsRejected: toNumber(row.get('rows_rejected')),
      rejectsLocation: text('rejects_location'),
      startedAt: date('started_at') ?? new Date(0),
      finishedAt: date('finished_at'),
      durationMs: row.get('duration_ms') === null ? undefined : toNumber(row.get('duration_ms')),
      error: text('error'),
    };
  }

  async record(entry: LedgerEntry): Promise<void> {
    // Unlike play rows, a ledger row is rewritten as the ingest progresses: an absent value must
    // clear what an earlier attempt wrote (an old error, say), so it is bound as null.
    const values = this.insert.values(entry).map((v) => (v === undefined ? null : v));
    await withRetry(() => this.client.execute(this.insert.cql, values, this.options), {
      maxRetries: this.maxRetries,
    });
  }
}
