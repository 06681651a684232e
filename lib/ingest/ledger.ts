// The ingest ledger: one row per object version (lib/cassandra/model.ts, ingestLedger) holding its
// totals so far, where its next part starts, and a lease. Whoever works on a version holds the
// lease, taken and kept with lightweight transactions (compare-and-set, Paxos in Cassandra): two
// deliveries of the same version at the same moment cannot both ingest it, and a holder that died
// blocks the next one only until its lease expires.
//
// Every write to the row is conditional (the row is managed with Paxos, and a plain write's client
// timestamp would race the Paxos ballots), and every read that decides something is linearizable
// (LedgerStore.read). Each statement is retried after a timeout; because a timed-out write may
// have been applied, every "not applied" answer is checked against the row as it is now before it
// is believed. The logic is written once here, over a LedgerStore: CassandraLedgerStore below, and
// an in-memory one for the tests and the simulator (test/support/memory-ledger.ts); the same
// contract suite runs against both (test/support/ledger-contract.ts).
import type { Client, QueryOptions, types } from 'cassandra-driver';
import { serialOptions, serialReadOptions } from '../cassandra/client';
import {
  conditionalUpdateStatement,
  fromRow,
  insertIfAbsentStatement,
  keyedSelectCql,
} from '../cassandra/cql';
import { ingestLedger, type LedgerEntry } from '../cassandra/model';
import { type RetryOptions, withRetry } from '../cassandra/retry';
import { type Clock, systemClock } from '../clock';
import type { CassandraConfig } from '../config';
import { InvariantError, transient } from './failures';

/** A ledger field that a statement may set or test (never the key). */
export type LedgerField = Exclude<keyof LedgerEntry, 'source' | 'etag'>;

/** Every non-key field but continuedPart: what a write under the lease sets. */
export const LEASED_FIELDS: readonly LedgerField[] = ingestLedger.columns
  .map((c) => c.from)
  .filter((f): f is LedgerField => f !== 'source' && f !== 'etag' && f !== 'continuedPart');

/**
 * What reopening an ended version sets: the leased fields, and continuedPart cleared. The message
 * that reopens it carries it on; a continuation sent in the run that ended is gone.
 */
export const REOPEN_FIELDS: readonly LedgerField[] = [...LEASED_FIELDS, 'continuedPart'];

const LEASE_FIELDS: readonly LedgerField[] = ['leaseOwner', 'leaseUntil', 'updatedAt', 'revision'];

/** What a compare-and-set did; `current` is the row when the store returns it with the answer. */
export type CasResult = { applied: true } | { applied: false; current: LedgerEntry | undefined };

/** The row store with compare-and-set: all that differs between Cassandra and memory. */
export interface LedgerStore {
  /** The row as every applied compare-and-set left it (a linearizable read). */
  read(source: string, etag: string): Promise<LedgerEntry | undefined>;
  /** Creates the row unless it exists; when it does, `current` is that row. */
  insertIfAbsent(entry: LedgerEntry): Promise<CasResult>;
  /** Sets `fields` to the entry's values if every field of `expect` has that value now (absent = null). */
  update(
    entry: LedgerEntry,
    fields: readonly LedgerField[],
    expect: Partial<LedgerEntry>,
  ): Promise<CasResult>;
}

/**
 * Whether someone holds the version's lease now: an owner, and a time not yet past by this clock.
 * A lease past its time is held by nobody, whoever wrote it (its holder died or ran out of time).
 */
export function leaseHeld(entry: LedgerEntry, now: number): boolean {
  return entry.leaseOwner !== undefined && (entry.leaseUntil?.getTime() ?? 0) > now;
}

/** What claiming an object version's lease found. */
export type Claim =
  /** The lease is ours; the entry as it stands (a new one, or where earlier parts left it). */
  | { kind: 'claimed'; entry: LedgerEntry }
  /** Another delivery holds a live lease: it is being ingested right now. */
  | { kind: 'busy'; entry: LedgerEntry }
  /** The version completed before. */
  | { kind: 'done'; entry: LedgerEntry };

/** A value as a stored row holds it: absent and null alike, times by their milliseconds. */
function stored(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return value.getTime();
  if (Array.isArray(value)) return value.length === 0 ? null : value;
  return value;
}

/** Whether a row holds exactly these fields' values (what a compare-and-set that applied left). */
export function holds(row: LedgerEntry, entry: LedgerEntry, fields: readonly LedgerField[]): boolean {
  return fields.every((f) => JSON.stringify(stored(row[f])) === JSON.stringify(stored(entry[f])));
}

/** Whether a row's fields have the values a condition expects (absent = null), as Cassandra compares them. */
export function satisfies(row: LedgerEntry, expect: Partial<LedgerEntry>): boolean {
  return Object.entries(expect).every(
    ([f, v]) => JSON.stringify(stored(row[f as LedgerField])) === JSON.stringify(stored(v)),
  );
}

export interface LedgerOptions {
  /** Each statement's retries after a timeout (a time budget, and when to give up at the latest). */
  retry: Pick<RetryOptions, 'budgetMs' | 'giveUpAt' | 'random'>;
  clock?: Clock;
}

export class Ledger {
  private readonly clock: Clock;
  private readonly retry: RetryOptions;

  constructor(
    private readonly store: LedgerStore,
    opts: LedgerOptions,
  ) {
    this.clock = opts.clock ?? systemClock;
    this.retry = { ...opts.retry, now: () => this.clock.now(), sleep: (ms) => this.clock.sleep(ms) };
  }

  /** One store call, retried after timeouts; what still fails is a TransientError. */
  private call<T>(doing: string, op: () => Promise<T>): Promise<T> {
    return transient(`ingest ledger: ${doing}`, () => withRetry(op, this.retry));
  }

  find(source: string, etag: string): Promise<LedgerEntry | undefined> {
    return this.call('read', () => this.store.read(source, etag));
  }

  /**
   * Takes the lease of the version for leaseMs (creating its row from `fresh` when it has none),
   * unless the version completed or another owner's lease is live.
   */
  async claim(fresh: LedgerEntry, owner: string, leaseMs: number): Promise<Claim> {
    const first = { ...fresh, ...this.leaseOf(owner, leaseMs), revision: 1 };
    const created = await this.call('claim', () => this.store.insertIfAbsent(first));
    if (created.applied) return { kind: 'claimed', entry: first };
    return this.take(fresh, created.current ?? (await this.find(fresh.source, fresh.etag)), owner, leaseMs);
  }

  /** As claim, of a row that must exist already (a split's, which its plan writes); undefined if none. */
  async claimExisting(version: LedgerEntry, owner: string, leaseMs: number): Promise<Claim | undefined> {
    const entry = await this.find(version.source, version.etag);
    return entry && this.take(version, entry, owner, leaseMs);
  }

  private leaseOf(owner: string, leaseMs: number) {
    const now = this.clock.now();
    return { leaseOwner: owner, leaseUntil: new Date(now + leaseMs), updatedAt: new Date(now) };
  }

  /** Takes the lease of the row as read, unless it completed or is held; the loop of claim. */
  private async take(
    fresh: LedgerEntry,
    found: LedgerEntry | undefined,
    owner: string,
    leaseMs: number,
  ): Promise<Claim> {
    const now = this.clock.now();
    const lease = this.leaseOf(owner, leaseMs);
    let entry = found;
    for (;;) {
      if (!entry)
        throw new InvariantError(`ledger row of ${fresh.source} (${fresh.etag}) vanished while claiming it`);
      if (entry.status === 'completed') return { kind: 'done', entry };
      // Our own claim, applied by an attempt whose answer was lost.
      if (entry.leaseOwner === owner) return { kind: 'claimed', entry };
      if (leaseHeld(entry, now)) return { kind: 'busy', entry };
      // Only the row as read: any write since (a completion, a release) has raised its revision.
      const mine = { ...entry, ...lease, revision: (entry.revision ?? 0) + 1 };
      const seen = entry.revision;
      const took = await this.call('take over', () =>
        this.store.update(mine, LEASE_FIELDS, { revision: seen }),
      );
      if (took.applied) return { kind: 'claimed', entry: mine };
      // Someone changed the row first (or our own takeover applied): look at it as it is now.
      entry = await this.find(fresh.source, fresh.etag);
    }
  }

  /**
   * Creates the row, with no lease, unless it exists: undefined when created, else the row there.
   * How a plan writes its splits' rows (lib/ingest/split-version.ts).
   */
  async createIfAbsent(entry: LedgerEntry): Promise<LedgerEntry | undefined> {
    const row = { ...entry, updatedAt: new Date(this.clock.now()), revision: 1 };
    const created = await this.call('create', () => this.store.insertIfAbsent(row));
    if (created.applied) return undefined;
    const there = created.current ?? (await this.find(entry.source, entry.etag));
    if (!there)
      throw new InvariantError(`ledger row of ${entry.source} (${entry.etag}) vanished while creating it`);
    return there;
  }

  /**
   * Writes the entry if `owner` still holds the lease (it may release it or pass it on), and
   * answers the row as written; undefined when the lease is another's. An attempt that timed out
   * may have applied: a retry that then finds the lease gone looks at the row, and the write
   * counts as made if the row holds exactly what it wrote.
   */
  async write(
    entry: LedgerEntry,
    owner: string,
    fields: readonly LedgerField[] = LEASED_FIELDS,
  ): Promise<LedgerEntry | undefined> {
    const written = { ...entry, updatedAt: new Date(this.clock.now()), revision: (entry.revision ?? 0) + 1 };
    const result = await this.call('write', () => this.store.update(written, fields, { leaseOwner: owner }));
    if (result.applied) return written;
    // A write that keeps the lease, not applied even on a retry: the lease is gone.
    if (written.leaseOwner === owner) return undefined;
    const now = await this.find(entry.source, entry.etag);
    return now !== undefined && holds(now, written, fields) ? written : undefined;
  }

  /**
   * Writes the entry without a lease, if the row is still the revision `seen` read (nobody wrote it
   * since): how the sweep notes a resume or ends a version nobody holds. Answers the row as written,
   * or undefined when it changed meanwhile.
   */
  async writeIfUnchanged(seen: LedgerEntry, entry: LedgerEntry): Promise<LedgerEntry | undefined> {
    const written = { ...entry, updatedAt: new Date(this.clock.now()), revision: (seen.revision ?? 0) + 1 };
    const result = await this.call('write if unchanged', () =>
      this.store.update(written, LEASED_FIELDS, { revision: seen.revision }),
    );
    if (result.applied) return written;
    const now = await this.find(entry.source, entry.etag);
    return now !== undefined && holds(now, written, LEASED_FIELDS) ? written : undefined;
  }

  /**
   * Records that the continuation of `part` was sent, on the row as the checkpoint before it left
   * it (`revision`; without one, any row at that part). Not recorded when anything wrote the row
   * since: a later part (then it no longer matters), a delivery that took the lease (then that one
   * carries the version on), or an end and a reopening (then the continuation is long gone, and a
   * mark now would have the message that reopened the version judged stale).
   */
  async markContinued(source: string, etag: string, part: number, revision?: number): Promise<boolean> {
    const expect: Partial<LedgerEntry> = { parts: part - 1, ...(revision !== undefined ? { revision } : {}) };
    const result = await this.call('mark continued', () =>
      this.store.update({ source, etag, continuedPart: part } as LedgerEntry, ['continuedPart'], expect),
    );
    if (result.applied) return true;
    const now = await this.find(source, etag);
    return (now?.continuedPart ?? 0) >= part;
  }
}

/**
 * A ledger row as read back: counts never missing, and `running`, written before leases existed, as
 * `in_progress`. The ledger reads rows with it, and so does the status endpoint (lib/queries/store.ts).
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

type UpdateStatement = ReturnType<typeof conditionalUpdateStatement<LedgerEntry>>;

/** The ledger's rows in Cassandra (or Amazon Keyspaces): statements derived from the data model. */
export class CassandraLedgerStore implements LedgerStore {
  private readonly select: string;
  private readonly insert;
  private readonly updates = new Map<string, UpdateStatement>();
  private readonly lwt: QueryOptions;
  private readonly serialRead: QueryOptions;

  constructor(
    private readonly client: Pick<Client, 'execute'>,
    private readonly cfg: CassandraConfig,
  ) {
    const columns = ingestLedger.columns.map((c) => c.name);
    this.select = keyedSelectCql(cfg.keyspace, ingestLedger, ['source', 'etag'], columns);
    this.insert = insertIfAbsentStatement(cfg.keyspace, ingestLedger);
    this.lwt = serialOptions(cfg);
    this.serialRead = serialReadOptions(cfg);
  }

  async read(source: string, etag: string): Promise<LedgerEntry | undefined> {
    const row = (await this.client.execute(this.select, [source, etag], this.serialRead)).first();
    return row ? ledgerEntryOfRow(row) : undefined;
  }

  async insertIfAbsent(entry: LedgerEntry): Promise<CasResult> {
    const rs = await this.client.execute(this.insert.cql, bound(this.insert.values(entry)), this.lwt);
    if (rs.wasApplied()) return { applied: true };
    // Not applied, Cassandra answers with the row that is there.
    const row = rs.first();
    return { applied: false, current: row ? ledgerEntryOfRow(row) : undefined };
  }

  async update(
    entry: LedgerEntry,
    fields: readonly LedgerField[],
    expect: Partial<LedgerEntry>,
  ): Promise<CasResult> {
    const conditions = Object.keys(expect) as LedgerField[];
    const columnOf = (f: LedgerField) => ingestLedger.columns.find((c) => c.from === f)?.name ?? f;
    const signature = `${fields.join(',')}|${conditions.join(',')}`;
    let statement = this.updates.get(signature);
    if (!statement) {
      statement = conditionalUpdateStatement(
        this.cfg.keyspace,
        ingestLedger,
        fields,
        conditions.map(columnOf),
      );
      this.updates.set(signature, statement);
    }
    const values = statement.values(
      entry,
      conditions.map((f) => expect[f]),
    );
    const rs = await this.client.execute(statement.cql, bound(values), this.lwt);
    // Not applied, Cassandra answers with the condition's columns only: the caller reads the row.
    return rs.wasApplied() ? { applied: true } : { applied: false, current: undefined };
  }
}
