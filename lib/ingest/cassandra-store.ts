// The Cassandra side of the ingest: one prepared, idempotent insert per query table for each play
// (retried on transient errors), and the ingest ledger. Statements come from the data model.
import type { Client, QueryOptions } from 'cassandra-driver';
import { consistencyCode } from '../cassandra/client';
import { insertStatement, keyedSelectCql } from '../cassandra/cql';
import { ingestLedger, type LedgerEntry, playTables } from '../cassandra/model';
import { type RetryOptions, withRetry } from '../cassandra/retry';
import type { CassandraConfig } from '../config';
import type { Play } from '../events/event';
import type { Logger } from '../log';
import type { Ledger, PlayWriter } from './types';

function writeOptions(cfg: CassandraConfig): QueryOptions {
  return { prepare: true, isIdempotent: true, consistency: consistencyCode(cfg.writeConsistency) };
}

export class CassandraPlayWriter implements PlayWriter {
  private readonly statements;
  private readonly options: QueryOptions;
  private readonly retryOptions: RetryOptions;
  retries = 0;

  constructor(
    private readonly client: Client,
    cfg: CassandraConfig,
    maxRetries: number,
    log?: Logger,
  ) {
    this.statements = playTables.map((t) => insertStatement(cfg.keyspace, t));
    this.options = writeOptions(cfg);
    this.retryOptions = {
      maxRetries,
      onRetry: (err, attempt, delayMs) => {
        this.retries++;
        log?.warn('write retry', { err, attempt, delayMs, keyspace: cfg.keyspace });
      },
    };
  }

  write(play: Play): Promise<unknown> {
    return Promise.all(
      this.statements.map((s) =>
        withRetry(() => this.client.execute(s.cql, s.values(play), this.options), this.retryOptions),
      ),
    );
  }
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
