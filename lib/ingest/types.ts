// The ingest pipeline's ports. The pipeline takes these interfaces; the Lambda and the CLI wire the
// real Cassandra/S3/file implementations, unit tests wire fakes. Its outcome is in report.ts.
import type { Readable } from 'node:stream';
import type { LedgerEntry } from '../cassandra/model';
import type { Play, RawEvent } from '../events/event';

export interface OpenedObject {
  body: Readable;
  /** S3 ETag (without quotes), or a fingerprint for local files. */
  etag: string;
  versionId: string | undefined;
}

/** One version of an object, as a source names it. */
export interface ObjectVersion {
  etag: string;
  versionId: string | undefined;
}

/** The object changed since a part began reading it: what is left belongs to another version. */
export class ObjectChangedError extends Error {
  constructor(source: string) {
    super(`${source} was overwritten: a newer version replaced the one being ingested`);
    this.name = 'ObjectChangedError';
  }
}

export interface ObjectSource {
  /** Stable identity, e.g. s3://bucket/key or an absolute file path; the ledger is keyed by it. */
  source: string;
  /** Name used to tell the format (extension). */
  name: string;
  /** The current version, from its first byte. */
  open(): Promise<OpenedObject>;
  /**
   * That version from byte `offset` on (a resumed part); throws ObjectChangedError when the object
   * is no longer that version.
   */
  openAt(version: ObjectVersion, offset: number): Promise<OpenedObject>;
}

/** Takes plays and writes each to every query table. */
export interface PlaySink {
  /** Takes a play; returns a promise when the caller must wait before the next (backpressure). */
  add(play: Play): Promise<void> | undefined;
  /** Writes whatever is buffered and waits for everything in flight to finish. */
  drain(): Promise<void>;
  /** Plays taken so far. */
  readonly accepted: number;
  /** Plays whose writes to every table succeeded. */
  readonly written: number;
  /** Plays taken but not written because a write failed after retries (0 while error is unset). */
  readonly failed: number;
  /** The first write that failed after retries; the caller stops adding once it is set. */
  readonly error: unknown;
  /** Retries performed so far (for the report). */
  readonly retries: number;
}

/** What claiming an object version's lease found. */
export type Claim =
  /** The lease is ours; the entry as it stands (a new one, or where earlier parts left it). */
  | { kind: 'claimed'; entry: LedgerEntry }
  /** Another delivery holds a live lease: it is being ingested right now. */
  | { kind: 'busy'; entry: LedgerEntry }
  /** The version completed before. */
  | { kind: 'done'; entry: LedgerEntry };

export interface Ledger {
  find(source: string, etag: string): Promise<LedgerEntry | undefined>;
  /**
   * Takes the lease of the version for leaseMs (creating its entry from `fresh` when it has none),
   * unless the version completed or another owner's lease is live.
   */
  claim(fresh: LedgerEntry, owner: string, leaseMs: number): Promise<Claim>;
  /** Writes the entry if `owner` still holds the lease; false when it was lost to another owner. */
  write(entry: LedgerEntry, owner: string): Promise<boolean>;
  /**
   * Marks the version failed, with why, without the lease (a best effort when the write under the
   * lease could not be made: Paxos needs a quorum of replicas that a failure may have taken away).
   */
  noteFailure(source: string, etag: string, error: string): Promise<void>;
}

export interface Reject {
  line: number;
  reason: string;
  /** The record's fields as read (absent when the text could not be parsed into fields). */
  record: RawEvent | undefined;
  /** The original text of the record. */
  raw: string;
}

export interface RejectStore {
  add(reject: Reject): Promise<void>;
  /** Stores what was collected; returns where, or undefined when there was nothing to keep. */
  finish(): Promise<string | undefined>;
}

export interface Progress {
  source: string;
  rowsRead: number;
  rowsWritten: number;
  elapsedMs: number;
}
