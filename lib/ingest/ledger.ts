// The ingest ledger in Cassandra: one row per object version, holding its totals so far, where its
// next part starts, and a lease. Whoever works on a version holds the lease, taken and kept with
// lightweight transactions (Paxos): two deliveries of the same object at the same moment cannot
// both ingest it, and a holder that died (Lambda's time limit, a crash) blocks the next one only
// until its lease expires. Statements and the row mapping come from the data model; every
// statement is retried by withRetry like the play writes.
import { type Client, type QueryOptions, types } from 'cassandra-driver';
import { serialOptions, writeOptions } from '../cassandra/client';
import {
  conditionalUpdateStatement,
  fromRow,
  insertIfAbsentStatement,
  keyedSelectCql,
} from '../cassandra/cql';
import { ingestLedger, type LedgerEntry } from '../cassandra/model';
import { type RetryOptions, withRetry } from '../cassandra/retry';
import type { CassandraConfig } from '../config';
import type { Claim, Ledger } from './types';

/** Every non-key column: what a write under the lease sets. */
const VALUE_FIELDS = ingestLedger.columns
  .filter((c) => c.name !== 'source' && c.name !== 'etag')
  .map((c) => c.from);

/** A row as the ledger's users see it: counts never missing, the pre-lease `running` as `in_progress`. */
/**
 * A ledger row as read back: counts never missing, and `running`, written before leases existed, as
 * `in_progress`. The ingest reads rows with it, and so does the status endpoint (lib/queries/store.ts).
 */
export function ledgerEntryOfRow(row: types.Row): LedgerEntry {
  const entry = fromRow(ingestLedger, row);
  const status = (entry.status as string) === 'running' ? 'in_progress' : entry.status;
  return {
    ...entry,
    status,
    parts: entry.parts ?? 0,
    rowsRead: entry.rowsRead ?? 0,
    rowsWritten: entry.rowsWritten ?? 0,
    rowsSkipped: entry.rowsSkipped ?? 0,
    rowsRejected: entry.rowsRejected ?? 0,
    writeRetries: entry.writeRetries ?? 0,
  };
}

/** Absent values are bound as null: a ledger row is rewritten, and an old error or checkpoint must go. */
const bound = (values: unknown[]) => values.map((v) => (v === undefined ? null : v));

export class CassandraLedger implements Ledger {
  private readonly select: string;
  private readonly insertIfAbsent;
  private readonly takeOver;
  private readonly writeUnderLease;
  private readonly failureNote;
  private readonly anyReplica: QueryOptions;
  private readonly options: QueryOptions;
  private readonly lwtOptions: QueryOptions;

  constructor(
    private readonly client: Client,
    cfg: CassandraConfig,
    private readonly retry: Omit<RetryOptions, 'onRetry'>,
  ) {
    const columns = ingestLedger.columns.map((c) => c.name);
    this.select = keyedSelectCql(cfg.keyspace, ingestLedger, ['source', 'etag'], columns);
    this.insertIfAbsent = insertIfAbsentStatement(cfg.keyspace, ingestLedger);
    // Compare-and-set on the lease as it was read: it applies only if nobody took it meanwhile.
    this.takeOver = conditionalUpdateStatement(
      cfg.keyspace,
      ingestLedger,
      ['leaseOwner', 'leaseUntil'],
      ['lease_owner', 'lease_until'],
    );
    this.writeUnderLease = conditionalUpdateStatement(cfg.keyspace, ingestLedger, VALUE_FIELDS, [
      'lease_owner',
    ]);
    this.options = writeOptions(cfg);
    this.lwtOptions = serialOptions(cfg);
    this.failureNote = conditionalUpdateStatement(cfg.keyspace, ingestLedger, ['status', 'error'], []);
    // One replica is enough for the note: it exists for the moments when a quorum does not.
    this.anyReplica = { ...this.options, consistency: types.consistencies.one };
  }

  private run(cql: string, values: unknown[], options: QueryOptions): Promise<types.ResultSet> {
    return withRetry(() => this.client.execute(cql, values, options), this.retry);
  }

  async find(source: string, etag: string): Promise<LedgerEntry | undefined> {
    const row = (await this.run(this.select, [source, etag], this.options)).first();
    return row ? ledgerEntryOfRow(row) : undefined;
  }

  async claim(fresh: LedgerEntry, owner: string, leaseMs: number): Promise<Claim> {
    const leaseUntil = new Date(Date.now() + leaseMs);
    const created = await this.run(
      this.insertIfAbsent.cql,
      bound(this.insertIfAbsent.values({ ...fresh, leaseOwner: owner, leaseUntil })),
      this.lwtOptions,
    );
    // A retried statement may find the row its own first attempt created: the lease is ours.
    const existing = created.wasApplied() ? undefined : created.first();
    if (!existing) return { kind: 'claimed', entry: { ...fresh, leaseOwner: owner, leaseUntil } };
    let entry = ledgerEntryOfRow(existing);
    for (;;) {
      if (entry.status === 'completed') return { kind: 'done', entry };
      if (entry.leaseOwner === owner) return { kind: 'claimed', entry: { ...entry, leaseUntil } };
      if (entry.leaseOwner !== undefined && (entry.leaseUntil?.getTime() ?? 0) > Date.now())
        return { kind: 'busy', entry };
      const took = await this.run(
        this.takeOver.cql,
        bound(
          this.takeOver.values({ ...entry, leaseOwner: owner, leaseUntil }, [
            entry.leaseOwner ?? null,
            entry.leaseUntil ?? null,
          ]),
        ),
        this.lwtOptions,
      );
      if (took.wasApplied()) return { kind: 'claimed', entry: { ...entry, leaseOwner: owner, leaseUntil } };
      // Someone else changed the row first: look again at what they left.
      const now = await this.find(entry.source, entry.etag);
      if (!now) throw new Error(`ledger row of ${entry.source} (${entry.etag}) vanished while claiming it`);
      entry = now;
    }
  }

  async write(entry: LedgerEntry, owner: string): Promise<boolean> {
    const rs = await this.run(
      this.writeUnderLease.cql,
      bound(this.writeUnderLease.values(entry, [owner])),
      this.lwtOptions,
    );
    if (rs.wasApplied()) return true;
    // Not applied: the lease is another's now (the result holds only the lease column) — unless this
    // was a retry of our own write that applied and passed the lease on or released it: then the
    // row is exactly as that write left it.
    if (entry.leaseOwner === owner) return false;
    const current = await this.find(entry.source, entry.etag);
    return (
      current !== undefined &&
      current.leaseOwner === entry.leaseOwner &&
      current.status === entry.status &&
      current.parts === entry.parts
    );
  }

  async noteFailure(source: string, etag: string, error: string): Promise<void> {
    const values = this.failureNote.values({ source, etag, status: 'failed', error } as LedgerEntry, []);
    await this.client.execute(this.failureNote.cql, values, this.anyReplica);
  }
}
