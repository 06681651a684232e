// Writes plays to the query tables the way bulk loaders do: plays are buffered, each table's inserts
// are grouped by partition key, and each group goes out as one small UNLOGGED batch (a single
// statement alone). A batch that shares one partition is one mutation on one replica set, so the
// cluster does a fraction of the per-request work of row-by-row inserts (measured here: about twice
// the rows per second on one node). Batches stay within Amazon Keyspaces' 30 statements and under
// Cassandra's 5 KiB batch-size warning. A play counts as written only when the writes for all its
// tables succeeded; at most `concurrency` requests are in flight, and add() makes the caller wait
// while they are, which is what pauses parsing.
//
// Nothing is written twice that the tables keep once: within a buffer, plays with the same primary
// key in a table (a listener who played a song twice is one row of listeners_by_song) are one
// write, of the last of them, which counts for all of them. (Setting a partition's static columns
// in its batch's first row only, as unset values or as a second statement without them, was
// measured too: the node spent more CPU per play either way; bench/README.md.)
import type { Client, QueryOptions } from 'cassandra-driver';
import { writeOptions } from '../cassandra/client';
import { type InsertStatement, insertStatement } from '../cassandra/cql';
import { playTables, type TableDef } from '../cassandra/model';
import { type RetryOptions, withRetry } from '../cassandra/retry';
import { ConcurrencyLimit } from '../concurrency';
import type { CassandraConfig } from '../config';
import type { Play } from '../events/event';
import type { Logger } from '../log';
import { TokenBucket } from '../rate-limit';
import type { PlaySink } from './types';

/**
 * Plays buffered before grouping; more finds more rows per partition, so fewer, larger requests.
 * Measured on 300,000 plays, 3 rounds interleaved: 2,048 → 0.77 requests per play, the node's CPU
 * 119–229 µs per play, 34–54 s; 16,384 → 0.52 requests per play, 87–112 µs, 24–38 s. Its memory
 * is a few MB of plays and bound values.
 */
export const BUFFER_PLAYS = 16_384;
/** Amazon Keyspaces accepts at most 30 statements per batch. */
export const MAX_BATCH_STATEMENTS = 30;
/** Cassandra warns about batches over 5 KiB (batch_size_warn_threshold). */
export const MAX_BATCH_BYTES = 4096;

export interface TableWriter {
  insert: InsertStatement<Play>;
  partitionKey(play: Play): string;
  primaryKey(play: Play): string;
  /** Rows a second this table may take (INGEST_MAX_WRITES_PER_SECOND); absent: no limit. */
  limit?: TokenBucket;
}

/** One request: the plays whose rows it sends, and every play it writes for (those and their duplicates). */
export interface PartitionBatch {
  rows: number[];
  plays: number[];
}

function estimatedBytes(values: unknown[]): number {
  let n = 0;
  for (const v of values) n += typeof v === 'string' ? v.length * 2 + 4 : 8;
  return n;
}

/** The requests for one table of one buffer: one row per primary key, grouped by partition, split to the caps. */
export function partitionBatches(
  table: TableWriter,
  plays: readonly Play[],
  params: readonly unknown[][] = plays.map((p) => table.insert.values(p)),
): PartitionBatch[] {
  const keys = plays.map((p) => table.primaryKey(p));
  const last = new Map<string, number>();
  for (let i = 0; i < keys.length; i++) last.set(keys[i] as string, i);
  // Each partition's rows in order; a play whose key comes again later is written by that later play.
  const groups = new Map<string, number[]>();
  const standsFor = new Map<number, number[]>();
  for (let i = 0; i < plays.length; i++) {
    const kept = last.get(keys[i] as string) as number;
    if (kept !== i) {
      const others = standsFor.get(kept);
      if (others) others.push(i);
      else standsFor.set(kept, [i]);
      continue;
    }
    const key = table.partitionKey(plays[i] as Play);
    const group = groups.get(key);
    if (group) group.push(i);
    else groups.set(key, [i]);
  }
  const batches: PartitionBatch[] = [];
  for (const group of groups.values()) {
    let current: PartitionBatch = { rows: [], plays: [] };
    let bytes = 0;
    for (const i of group) {
      const size = estimatedBytes(params[i] as unknown[]);
      if (
        current.rows.length >= MAX_BATCH_STATEMENTS ||
        (current.rows.length > 0 && bytes + size > MAX_BATCH_BYTES)
      ) {
        batches.push(current);
        current = { rows: [], plays: [] };
        bytes = 0;
      }
      current.rows.push(i);
      current.plays.push(i);
      const others = standsFor.get(i);
      if (others) for (const o of others) current.plays.push(o);
      bytes += size;
    }
    if (current.rows.length > 0) batches.push(current);
  }
  return batches;
}

function keyOf(table: TableDef<Play>, columns: readonly string[]): (play: Play) => string {
  const fields = columns.map((k) => table.columns.find((c) => c.name === k)?.from as keyof Play);
  if (fields.length === 1) {
    const [field] = fields as [keyof Play];
    return (p) => String(p[field]);
  }
  return (p) => fields.map((f) => p[f]).join('\u0000');
}

export function tableWriters(keyspace: string): TableWriter[] {
  return playTables.map((table) => {
    const insert = insertStatement(keyspace, table);
    return {
      insert,
      partitionKey: keyOf(table, table.partitionKey),
      primaryKey: keyOf(table, [...table.partitionKey, ...table.clustering.map((c) => c.column)]),
    };
  });
}

export interface BatchSinkOptions {
  /** Requests (batches or single inserts) in flight at once. */
  concurrency: number;
  /** Rows a second to each table at most; absent: as fast as the node takes them. */
  maxWritesPerSecond?: number;
  /** How long each write is retried, and the time no retry may start after (a part's deadline); the clock it waits on. */
  retry: Pick<RetryOptions, 'budgetMs' | 'giveUpAt' | 'now' | 'sleep' | 'random'>;
  bufferPlays?: number;
  log?: Logger;
}

export class CassandraBatchSink implements PlaySink {
  accepted = 0;
  written = 0;
  retries = 0;
  error: unknown;
  private buffer: Play[] = [];
  private readonly tables: TableWriter[];
  private readonly inFlight: ConcurrencyLimit;
  private readonly queryOptions: QueryOptions;
  private readonly batchOptions: QueryOptions;
  private readonly retryOptions: RetryOptions;
  private readonly bufferPlays: number;

  constructor(
    private readonly client: Pick<Client, 'execute' | 'batch'>,
    cfg: CassandraConfig,
    opts: BatchSinkOptions,
  ) {
    const rate = opts.maxWritesPerSecond;
    this.tables = tableWriters(cfg.keyspace).map((t) => (rate ? { ...t, limit: new TokenBucket(rate) } : t));
    this.inFlight = new ConcurrencyLimit(opts.concurrency);
    this.bufferPlays = opts.bufferPlays ?? BUFFER_PLAYS;
    this.queryOptions = writeOptions(cfg);
    this.batchOptions = { ...this.queryOptions, logged: false };
    this.retryOptions = {
      ...opts.retry,
      onRetry: (err, attempt, delayMs) => {
        this.retries++;
        opts.log?.warn('write retry', { err, attempt, delayMs, keyspace: cfg.keyspace });
      },
    };
  }

  get failed(): number {
    return this.error === undefined ? 0 : this.accepted - this.written;
  }

  /** Highest number of requests that were in flight at once. */
  get peakInFlight(): number {
    return this.inFlight.peak;
  }

  add(play: Play): Promise<void> | undefined {
    this.accepted++;
    this.buffer.push(play);
    return this.buffer.length >= this.bufferPlays ? this.flush() : undefined;
  }

  async drain(): Promise<void> {
    await this.flush();
    await this.inFlight.idle();
  }

  private async flush(): Promise<void> {
    const plays = this.buffer;
    this.buffer = [];
    if (plays.length === 0) return;
    // How many tables still have to confirm each play.
    const pending = new Uint8Array(plays.length).fill(this.tables.length);
    for (const table of this.tables) {
      // Each play's bound values for this table, made once: sized for batching, then sent.
      const params = plays.map((p) => table.insert.values(p));
      for (const batch of partitionBatches(table, plays, params)) {
        if (table.limit) await table.limit.take(batch.rows.length);
        if (!this.inFlight.tryAcquire()) await this.inFlight.acquire();
        if (this.error !== undefined) {
          // Something failed: send nothing more; the object will be ingested again as a whole.
          this.inFlight.release();
          return;
        }
        this.send(table.insert.cql, params, batch.rows).then(
          () => {
            for (const i of batch.plays) if (--(pending[i] as number) === 0) this.written++;
            this.inFlight.release();
          },
          (err: unknown) => {
            this.error ??= err;
            this.inFlight.release();
          },
        );
      }
    }
  }

  private send(cql: string, params: readonly unknown[][], rows: number[]): Promise<unknown> {
    if (rows.length === 1) {
      const values = params[rows[0] as number] as unknown[];
      return withRetry(() => this.client.execute(cql, values, this.queryOptions), this.retryOptions);
    }
    const queries = rows.map((i) => ({ query: cql, params: params[i] as unknown[] }));
    return withRetry(() => this.client.batch(queries, this.batchOptions), this.retryOptions);
  }
}
