// The ingest pipeline's ports. The pipeline takes these interfaces; the Lambda and the CLI wire the
// real Cassandra/S3/file implementations, unit tests and the simulator wire fakes. The ledger's
// port is LedgerStore (ledger.ts); the pipeline's outcome is in report.ts.
import type { Readable } from 'node:stream';
import type { Play, RawEvent } from '../events/event';

export interface OpenedObject {
  body: Readable;
  /** S3 ETag (without quotes), or a fingerprint for local files. */
  etag: string;
  versionId: string | undefined;
  /** How many bytes the body holds, when the source says (S3's Content-Length, a file's size). */
  size?: number | undefined;
}

/** One version of an object, as a source names it. */
export interface ObjectVersion {
  etag: string;
  versionId: string | undefined;
}

/** The version being ingested is no longer the object's: overwritten, or deleted. */
export class ObjectChangedError extends Error {
  constructor(source: string) {
    super(`${source} was overwritten or deleted: the version being ingested is gone`);
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
   * That version from byte `offset` on (a resumed part), up to byte `end` (exclusive) when given (a
   * split's range); throws ObjectChangedError when the object is no longer that version.
   */
  openAt(version: ObjectVersion, offset: number, end?: number): Promise<OpenedObject>;
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
  /** The part failed: discards what was stored so far (a best effort; it never throws). */
  abandon(): Promise<void>;
}

export interface Progress {
  source: string;
  rowsRead: number;
  rowsWritten: number;
  elapsedMs: number;
}
