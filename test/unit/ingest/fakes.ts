// In-memory stand-ins for the pipeline's ports, for the unit tier only (the integration tier uses
// the real Cassandra and LocalStack).
import { Readable } from 'node:stream';
import { errors } from 'cassandra-driver';
import type { Clock } from '../../../lib/clock';
import type { Play } from '../../../lib/events/event';
import { TransientError } from '../../../lib/ingest/failures';
import { Ledger, type LedgerStore } from '../../../lib/ingest/ledger';
import { partRejectsName } from '../../../lib/ingest/reject-store';
import {
  ObjectChangedError,
  type ObjectSource,
  type PlaySink,
  type Reject,
  type RejectStore,
} from '../../../lib/ingest/types';
import { createLogger } from '../../../lib/log';
import { MemoryLedgerStore } from '../../support/memory-ledger';

export const quietLog = createLogger('error', {}, () => undefined);

/** Writes plays to an array, `capacity` at a time, asking the caller to wait while it is full. */
export class FakeSink implements PlaySink {
  readonly plays: Play[] = [];
  accepted = 0;
  written = 0;
  retries = 0;
  error: unknown;
  inFlight = 0;
  peak = 0;
  /** When set, writes wait for this before finishing. */
  gate: Promise<void> | undefined;
  /** When set, the write of the n-th play (1-based) and later ones fail. */
  failAt: number | undefined;
  private readonly running = new Set<Promise<void>>();
  private waiting: (() => void) | undefined;

  constructor(readonly capacity = 8) {}

  get failed(): number {
    return this.error === undefined ? 0 : this.accepted - this.written;
  }

  add(play: Play): Promise<void> | undefined {
    const call = ++this.accepted;
    this.inFlight++;
    this.peak = Math.max(this.peak, this.inFlight);
    const done: Promise<void> = (async () => {
      await (this.gate ?? Promise.resolve());
      await new Promise((resolve) => setImmediate(resolve));
      if (this.failAt !== undefined && call >= this.failAt)
        throw new Error('write timed out after 5 retries');
      this.plays.push(play);
      this.written++;
    })()
      .catch((err: unknown) => {
        this.error ??= err;
      })
      .finally(() => {
        this.inFlight--;
        this.running.delete(done);
        const wake = this.waiting;
        this.waiting = undefined;
        wake?.();
      });
    this.running.add(done);
    if (this.inFlight < this.capacity) return undefined;
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  async drain(): Promise<void> {
    await Promise.all([...this.running]);
  }
}

/** A ledger over the in-memory store; `unavailable` makes every call fail as a cluster down would. */
export function memoryLedger(clock?: Clock) {
  const store = new MemoryLedgerStore();
  const state = { unavailable: false };
  const down = () => new errors.NoHostAvailableError({});
  const gated: LedgerStore = {
    read: (s, e) => (state.unavailable ? Promise.reject(down()) : store.read(s, e)),
    insertIfAbsent: (e) => (state.unavailable ? Promise.reject(down()) : store.insertIfAbsent(e)),
    update: (e, f, x) => (state.unavailable ? Promise.reject(down()) : store.update(e, f, x)),
  };
  // No retries: a unit test never waits out a backoff.
  const ledger = new Ledger(gated, { retry: { budgetMs: 0 }, ...(clock ? { clock } : {}) });
  return { ledger, store, state };
}

/** The statuses a version's row went through, each once in a row (renewals and releases fold in). */
export function statusHistory(store: MemoryLedgerStore, source: string, etag: string): string[] {
  const statuses = (store.history.get(`${source}|${etag}`) ?? []).map((e) => e.status);
  return statuses.filter((s, i) => i === 0 || statuses[i - 1] !== s);
}

export class FakeRejects implements RejectStore {
  readonly rejects: Reject[] = [];
  failOnFinish = false;
  abandoned = false;

  constructor(private readonly location = 'memory://rejects.jsonl') {}

  async add(reject: Reject): Promise<void> {
    this.rejects.push(reject);
  }

  async finish(): Promise<string | undefined> {
    // As the real stores do: what S3 or the disk throws is transient.
    if (this.failOnFinish) throw new TransientError('could not store the rejects: AccessDenied');
    return this.rejects.length > 0 ? this.location : undefined;
  }

  async abandon(): Promise<void> {
    this.abandoned = true;
  }
}

/** One in-memory rejects store per part, named as the real ones are. */
export class FakeRejectStores {
  readonly parts = new Map<number, FakeRejects>();
  failOnFinish = false;

  readonly forPart = (_version: unknown, part: number): FakeRejects => {
    const store = new FakeRejects(`memory://${partRejectsName('rejects', part)}`);
    store.failOnFinish = this.failOnFinish;
    this.parts.set(part, store);
    return store;
  };

  /** Every reject kept by a part that was not abandoned, in part order. */
  get rejects(): Reject[] {
    return [...this.parts.entries()]
      .sort(([a], [b]) => a - b)
      .flatMap(([, s]) => (s.abandoned ? [] : s.rejects));
  }
}

/**
 * An object in memory, read in chunks of chunkSize bytes. Its version is `version.etag`; change it
 * (an overwrite) and a resumed part finds the object changed.
 */
export function bufferSource(
  name: string,
  bytes: Buffer | string,
  etag = 'etag-1',
  chunkSize = Number.POSITIVE_INFINITY,
): ObjectSource & { version: { etag: string }; opened: number[] } {
  const data = Buffer.from(bytes);
  const version = { etag };
  const opened: number[] = [];
  const body = (from: number) => {
    opened.push(from);
    const chunks: Buffer[] = [];
    for (let i = from; i < data.length; i += Math.min(chunkSize, data.length))
      chunks.push(data.subarray(i, i + chunkSize));
    return Readable.from(chunks);
  };
  return {
    source: `s3://bucket/${name}`,
    name,
    version,
    opened,
    open: async () => ({ body: body(0), etag: version.etag, versionId: undefined }),
    openAt: async (v, offset) => {
      if (v.etag !== version.etag) throw new ObjectChangedError(`s3://bucket/${name}`);
      return { body: body(offset), etag: v.etag, versionId: undefined };
    },
  };
}
