// The ingest ledger in Cassandra: one row per object version, read before an ingest (is it a
// duplicate?) and written as it starts and ends. Statements and the row mapping come from the data
// model. Writes retry with lib/cassandra/retry.ts like the play writes.
import type { Client, QueryOptions } from 'cassandra-driver';
import { writeOptions } from '../cassandra/client';
import { fromRow, insertStatement, keyedSelectCql } from '../cassandra/cql';
import { ingestLedger, type LedgerEntry } from '../cassandra/model';
import { withRetry } from '../cassandra/retry';
import type { CassandraConfig } from '../config';
import type { Ledger } from './types';

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
    this.select = keyedSelectCql(
      cfg.keyspace,
      ingestLedger,
      ['source', 'etag'],
      ingestLedger.columns.map((c) => c.name),
    );
    this.options = writeOptions(cfg);
  }

  async find(source: string, etag: string): Promise<LedgerEntry | undefined> {
    const rs = await withRetry(() => this.client.execute(this.select, [source, etag], this.options), {
      maxRetries: this.maxRetries,
    });
    const row = rs.first();
    return row ? fromRow(ingestLedger, row) : undefined;
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
