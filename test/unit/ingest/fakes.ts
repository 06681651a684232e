// In-memory stand-ins for the pipeline's ports, for the unit tier only (the integration tier uses
// the real Cassandra and LocalStack).
import { Readable } from 'node:stream';
import type { LedgerEntry } from '../../../lib/cassandra/model';
import type { Play } from '../../../lib/events/event';
import type { Ledger, ObjectSource, PlaySink, Reject, RejectStore } from '../../../lib/ingest/types';
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

export class FakeLedger implements Ledger {
  readonly entries = new Map<string, LedgerEntry>();
  readonly history: LedgerEntry['status'][] = [];
  unavailable = false;

  async find(source: string, etag: string): Promise<LedgerEntry | undefined> {
    if (this.unavailable) throw new Error('NoHostAvailableError');
    return this.entries.get(`${source}|${etag}`);
  }

  async record(entry: LedgerEntry): Promise<void> {
    this.entries.set(`${entry.source}|${entry.etag}`, { ...entry });
    this.history.push(entry.status);
  }
}

export class FakeRejects implements RejectStore {
  readonly rejects: Reject[] = [];
  failOnFinish = false;

  async add(reject: Reject): Promise<void> {
    this.rejects.push(reject);
  }

  async finish(): Promise<string | undefined> {
    if (this.failOnFinish) throw new Error('AccessDenied');
    return this.rejects.length > 0 ? 'memory://rejects.jsonl' : undefined;
  }
}

export function bufferSource(name: string, bytes: Buffer | string, etag = 'etag-1'): ObjectSource {
  return {
    source: `s3://bucket/${name}`,
    name,
    open: async () => ({ body: Readable.from([Buffer.from(bytes)]), etag, versionId: undefined }),
  };
}
