// The index of object versions that may still be in progress (lib/cassandra/model.ts,
// openIngestsByDay): filed when a notification is first handled, before the version's ledger row
// exists, so that every in-progress row has an entry; read and pruned by the sweep
// (lib/ingest/sweep.ts), which is how a version that lost every message is still found. Plain
// writes: the table is not managed with lightweight transactions.
import type { Client, QueryOptions } from 'cassandra-driver';
import { writeOptions } from '../cassandra/client';
import { deleteRowStatement, fromRow, insertStatement, keyedSelectCql } from '../cassandra/cql';
import { type OpenIngest, openIngestsByDay } from '../cassandra/model';
import type { CassandraConfig } from '../config';

export interface OpenIngests {
  add(entry: OpenIngest): Promise<void>;
  /** Every entry filed on that day. */
  list(day: string): Promise<OpenIngest[]>;
  remove(entry: OpenIngest): Promise<void>;
}

/** The UTC day of a time, as the index files it: YYYY-MM-DD. */
export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The days the sweep reads, newest first: today and the `days - 1` before it. */
export function recentDays(now: number, days: number): string[] {
  return Array.from({ length: days }, (_, i) => dayOf(now - i * 86_400_000));
}

export class CassandraOpenIngests implements OpenIngests {
  private readonly insert;
  private readonly select: string;
  private readonly remove_;
  private readonly options: QueryOptions;

  constructor(
    private readonly client: Pick<Client, 'execute' | 'eachRow'>,
    cfg: CassandraConfig,
  ) {
    this.insert = insertStatement(cfg.keyspace, openIngestsByDay);
    const columns = openIngestsByDay.columns.map((c) => c.name);
    this.select = keyedSelectCql(cfg.keyspace, openIngestsByDay, ['day'], columns);
    this.remove_ = deleteRowStatement(cfg.keyspace, openIngestsByDay);
    this.options = writeOptions(cfg);
  }

  async add(entry: OpenIngest): Promise<void> {
    await this.client.execute(this.insert.cql, this.insert.values(entry), this.options);
  }

  async list(day: string): Promise<OpenIngest[]> {
    const rows: OpenIngest[] = [];
    // Paged: a busy day's partition can hold thousands of versions.
    await new Promise<void>((resolve, reject) => {
      this.client.eachRow(
        this.select,
        [day],
        { ...this.options, autoPage: true, fetchSize: 1000 },
        (_n, row) => rows.push(fromRow(openIngestsByDay, row)),
        (err) => (err ? reject(err) : resolve()),
      );
    });
    return rows;
  }

  async remove(entry: OpenIngest): Promise<void> {
    await this.client.execute(this.remove_.cql, this.remove_.values(entry), this.options);
  }
}
