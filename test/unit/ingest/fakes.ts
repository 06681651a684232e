// In-memory stand-ins for the pipeline's ports, for the unit tier only (the integration tier uses
// the real Cassandra and LocalStack).
import { Readable } from 'node:stream';
import type { LedgerEntry } from '../../../lib/cassandra/model';
import type { Play } from '../../../lib/events/event';
import { partRejectsName } from '../../../lib/ingest/reject-store';
import {
  type Claim,
  type Ledger,
  ObjectChangedError,
  type ObjectSource,
  type PlaySink,
  type Reject,
  type RejectStore,
} from '../../../lib/ingest/types';
import { createLogger } from '../../../lib/log';

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

/** The ledger's semantics in memory: one entry per version, a lease with an expiry, fenced writes. */
export class FakeLedger implements Ledger {
  readonly entries = new Map<string, LedgerEntry>();
  /** The status of every write, in order (claims that created an entry included). */
  readonly history: LedgerEntry['status'][] = [];
  unavailable = false;

  private check() {
    if (this.unavailable) throw new Error('NoHostAvailableError');
  }

  async find(source: string, etag: string): Promise<LedgerEntry | undefined> {
    this.check();
    const e = this.entries.get(`${source}|${etag}`);
    return e && { ...e };
  }

  async claim(fresh: LedgerEntry, owner: string, leaseMs: number): Promise<Claim> {
    this.check();
    const key = `${fresh.source}|${fresh.etag}`;
    const leaseUntil = new Date(Date.now() + leaseMs);
    const existing = this.entries.get(key);
    if (!existing) {
      const entry = { ...fresh, leaseOwner: owner, leaseUntil };
      this.entries.set(key, entry);
      this.history.push(entry.status);
      return { kind: 'claimed', entry: { ...entry } };
    }
    if (existing.status === 'completed') return { kind: 'done', entry: { ...existing } };
    const live = existing.leaseOwner !== undefined && (existing.leaseUntil?.getTime() ?? 0) > Date.now();
    if (live && existing.leaseOwner !== owner) return { kind: 'busy', entry: { ...existing } };
    const entry = { ...existing, leaseOwner: owner, leaseUntil };
    this.entries.set(key, entry);
    return { kind: 'claimed', entry: { ...entry } };
  }

  async noteFailure(source: string, etag: string, error: string): Promise<void> {
    this.check();
    const key = `${source}|${etag}`;
    const e = this.entries.get(key);
    if (e) this.entries.set(key, { ...e, status: 'failed', error });
    this.history.push('failed');
  }

  async write(entry: LedgerEntry, owner: string): Promise<boolean> {
    this.check();
    const key = `${entry.source}|${entry.etag}`;
    if (this.entries.get(key)?.leaseOwner !== owner) return false;
    this.entries.set(key, { ...entry });
    this.history.push(entry.status);
    return true;
  }
}

export class FakeRejects implements RejectStore {
  readonly rejects: Reject[] = [];
  failOnFinish = false;

  constructor(private readonly location = 'memory://rejects.jsonl') {}

  async add(reject: Reject): Promise<void> {
    this.rejects.push(reject);
  }

  async finish(): Promise<string | undefined> {
    if (this.failOnFinish) throw new Error('AccessDenied');
    return this.rejects.length > 0 ? this.location : undefined;
  }
}

/** One in-memory rejects store per part, named as the real ones are. */
export class FakeRejectStores {
  readonly parts = new Map<number, FakeRejects>();
  failOnFinish = false;

  readonly forPart = (part: number): FakeRejects => {
    const store = new FakeRejects(`memory://${partRejectsName('rejects', part)}`);
    store.failOnFinish = this.failOnFinish;
    this.parts.set(part, store);
    return store;
  };

  /** Every reject kept, in part order. */
  get rejects(): Reject[] {
    return [...this.parts.entries()].sort(([a], [b]) => a - b).flatMap(([, s]) => s.rejects);
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
