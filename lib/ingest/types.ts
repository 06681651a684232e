// The ingest pipeline's ports and its outcome. The pipeline takes these interfaces; the Lambda and
// the CLI wire the real Cassandra/S3/file implementations, unit tests wire fakes.
import type { Readable } from 'node:stream';
import type { LedgerEntry } from '../cassandra/model';
import type { Format, Play, RawEvent } from '../events/event';

export interface OpenedObject {
  body: Readable;
  /** S3 ETag (without quotes), or a fingerprint for local files. */
  etag: string;
  versionId: string | undefined;
}

export interface ObjectSource {
  /** Stable identity, e.g. s3://bucket/key or an absolute file path; the ledger is keyed by it. */
  source: string;
  /** Name used to tell the format (extension). */
  name: string;
  open(): Promise<OpenedObject>;
}

/** Writes one play to every query table; resolves only when all writes succeeded. */
export interface PlayWriter {
  write(play: Play): Promise<unknown>;
  /** Retries performed so far (for the report). */
  readonly retries: number;
}

export interface Ledger {
  find(source: string, etag: string): Promise<LedgerEntry | undefined>;
  record(entry: LedgerEntry): Promise<void>;
}

export interface Reject {
  line: number;
  reason: string;
  /** The record's fields as read (absent when the text could not be parsed into fields). */
  record: RawEvent | undefined;
  /** The original text of the record. */
  raw: string;
}

export interface RejectSink {
  add(reject: Reject): Promise<void>;
  /** Stores what was collected; returns where, or undefined when there was nothing to keep. */
  finish(): Promise<string | undefined>;
}

export type IngestStatus = 'completed' | 'duplicate' | 'failed' | 'ignored';

export interface IngestReport {
  source: string;
  etag: string | undefined;
  versionId: string | undefined;
  status: IngestStatus;
  format: Format | undefined;
  compressed: boolean | undefined;
  rowsRead: number;
  rowsWritten: number;
  rowsSkipped: number;
  rowsRejected: number;
  /** Plays whose writes failed after retries (only on a failed ingest). */
  rowsFailed: number;
  writeRetries: number;
  rejectsLocation: string | undefined;
  startedAt: string;
  durationMs: number;
  rowsPerSec: number;
  error: string | undefined;
}

export interface Progress {
  source: string;
  rowsRead: number;
  rowsWritten: number;
  elapsedMs: number;
}
