// The ledger's row store in memory, with the compare-and-set semantics of Cassandra's lightweight
// transactions (lib/ingest/ledger.ts, LedgerStore): every operation is atomic and linearizable. It
// keeps each row's history of applied writes, so tests and the simulator can check how a version
// moved. lostAnswers() wraps any store (this one or Cassandra's) so chosen calls apply and then
// fail as a timeout would: "the write went through, the answer was lost".
import { errors } from 'cassandra-driver';
import type { LedgerEntry } from '../../lib/cassandra/model';
import { type CasResult, type LedgerField, type LedgerStore, satisfies } from '../../lib/ingest/ledger';

const keyOf = (source: string, etag: string) => `${source}|${etag}`;
const copy = (e: LedgerEntry): LedgerEntry => ({ ...e, rejectsLocations: [...e.rejectsLocations] });

export class MemoryLedgerStore implements LedgerStore {
  readonly rows = new Map<string, LedgerEntry>();
  /** Every applied write of each row, oldest first (the row's first version included). */
  readonly history = new Map<string, LedgerEntry[]>();

  private applied(entry: LedgerEntry): void {
    const key = keyOf(entry.source, entry.etag);
    this.rows.set(key, copy(entry));
    const h = this.history.get(key) ?? [];
    h.push(copy(entry));
    this.history.set(key, h);
  }

  row(source: string, etag: string): LedgerEntry | undefined {
    const e = this.rows.get(keyOf(source, etag));
    return e && copy(e);
  }

  async read(source: string, etag: string): Promise<LedgerEntry | undefined> {
    return this.row(source, etag);
  }

  async insertIfAbsent(entry: LedgerEntry): Promise<CasResult> {
    const current = this.row(entry.source, entry.etag);
    if (current) return { applied: false, current };
    this.applied(entry);
    return { applied: true };
  }

  async update(
    entry: LedgerEntry,
    fields: readonly LedgerField[],
    expect: Partial<LedgerEntry>,
  ): Promise<CasResult> {
    const current = this.row(entry.source, entry.etag);
    // Cassandra: a condition on a row that does not exist does not apply.
    if (!current || !satisfies(current, expect)) return { applied: false, current: undefined };
    const next: Record<string, unknown> = { ...current };
    for (const f of fields) next[f] = entry[f];
    this.applied(next as unknown as LedgerEntry);
    return { applied: true };
  }
}

export type StoreOp = 'read' | 'insertIfAbsent' | 'update';

/**
 * A store whose calls for which `lose` says true are made and then fail with the driver's client
 * timeout, as when the answer of a write that went through is lost on the way back.
 */
export function lostAnswers(store: LedgerStore, lose: (op: StoreOp) => boolean): LedgerStore {
  const timeout = () => new errors.OperationTimedOutError('the answer was lost (test)');
  const wrap =
    <A extends unknown[], R>(op: StoreOp, call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const result = await call(...args);
      if (lose(op)) throw timeout();
      return result;
    };
  return {
    read: wrap('read', (s: string, e: string) => store.read(s, e)),
    insertIfAbsent: wrap('insertIfAbsent', (e: LedgerEntry) => store.insertIfAbsent(e)),
    update: wrap('update', (e: LedgerEntry, f: readonly LedgerField[], x: Partial<LedgerEntry>) =>
      store.update(e, f, x),
    ),
  };
}

/** A clock whose time moves only when told to (or when something sleeps on it). */
export class ManualClock {
  constructor(public time = Date.parse('2026-12-01T00:00:00Z')) {}
  now = (): number => this.time;
  sleep = async (ms: number): Promise<void> => {
    this.time += ms;
  };
  advance(ms: number): void {
    this.time += ms;
  }
}
