// The data model, defined once. Each query gets its own table whose partition key is exactly what
// the query is given, so every read is a single-partition keyed read. The DDL, the insert
// statements, the keyed selects and the CloudFormation resources are all derived from these
// definitions (see cql.ts); no column list is typed anywhere else.
import type { Play } from '../events/event';
import type { Format } from '../events/formats';
import type { FailureKind } from '../ingest/failures';

export const CQL_TYPES = ['int', 'bigint', 'text', 'double', 'boolean', 'timestamp', 'list<text>'] as const;
export type CqlType = (typeof CQL_TYPES)[number];

export interface ColumnDef<Source> {
  name: string;
  type: CqlType;
  /** Where the value comes from in the source object. */
  from: keyof Source & string;
  /** One value per partition (stored once, not per row). */
  static?: boolean;
}

export interface TableDef<Source> {
  name: string;
  /** The question this table answers, for docs and error messages. */
  answers: string;
  partitionKey: readonly string[];
  clustering: readonly { column: string; order: 'ASC' | 'DESC' }[];
  columns: readonly ColumnDef<Source>[];
}

function table<Source>(def: TableDef<Source>): TableDef<Source> {
  const names = new Set(def.columns.map((c) => c.name));
  for (const key of [...def.partitionKey, ...def.clustering.map((c) => c.column)]) {
    if (!names.has(key)) throw new Error(`table ${def.name}: key column ${key} is not defined`);
  }
  return def;
}

/** Q1: artist, song title and length of one play, given sessionId and itemInSession. */
export const playsBySession = table<Play>({
  name: 'plays_by_session',
  answers: 'artist, song and length by sessionId + itemInSession',
  partitionKey: ['session_id'],
  clustering: [{ column: 'item_in_session', order: 'ASC' }],
  columns: [
    { name: 'session_id', type: 'int', from: 'sessionId' },
    { name: 'item_in_session', type: 'int', from: 'itemInSession' },
    { name: 'artist', type: 'text', from: 'artist' },
    { name: 'song', type: 'text', from: 'song' },
    { name: 'length', type: 'double', from: 'length' },
  ],
});

/** Q2: a user's session, songs in itemInSession order, with the user's name stored once. */
export const songsByUserSession = table<Play>({
  name: 'songs_by_user_session',
  answers: 'artist and song ordered by itemInSession, with first and last name, by userId + sessionId',
  partitionKey: ['user_id', 'session_id'],
  clustering: [{ column: 'item_in_session', order: 'ASC' }],
  columns: [
    { name: 'user_id', type: 'int', from: 'userId' },
    { name: 'session_id', type: 'int', from: 'sessionId' },
    { name: 'item_in_session', type: 'int', from: 'itemInSession' },
    { name: 'artist', type: 'text', from: 'artist' },
    { name: 'song', type: 'text', from: 'song' },
    { name: 'first_name', type: 'text', from: 'firstName', static: true },
    { name: 'last_name', type: 'text', from: 'lastName', static: true },
  ],
});

/** Q3: everyone who listened to a song; a user who played it twice is one row. */
export const listenersBySong = table<Play>({
  name: 'listeners_by_song',
  answers: 'first and last name of every user who listened to a song',
  partitionKey: ['song'],
  clustering: [{ column: 'user_id', order: 'ASC' }],
  columns: [
    { name: 'song', type: 'text', from: 'song' },
    { name: 'user_id', type: 'int', from: 'userId' },
    { name: 'first_name', type: 'text', from: 'firstName' },
    { name: 'last_name', type: 'text', from: 'lastName' },
  ],
});

/** Every play is written to each of these; a play counts as written when all writes succeeded. */
export const playTables = [playsBySession, songsByUserSession, listenersBySong] as const;

/**
 * `in_progress` from the first part's start until the object is done (between parts, and while a
 * failed part waits for its retry: the checkpoint columns say where the next part starts); then how
 * it ended: `completed`, `superseded` (the object was overwritten before its last part; the new
 * version is ingested on its own notification) or `failed` (for good: its message is in the
 * dead-letter queue). Which status may follow which is lib/ingest/lifecycle.ts's TRANSITIONS.
 * Rows written before this status existed say `running`, read as `in_progress`.
 */
export const LEDGER_STATUSES = ['in_progress', 'completed', 'failed', 'superseded'] as const;
export type LedgerStatus = (typeof LEDGER_STATUSES)[number];

/** The totals an ingest keeps of an object version: the ledger's columns and the report's fields. */
export interface IngestTotals {
  /** Parts finished: each one invocation's work, ended at a checkpoint or at the end of the object. */
  parts: number;
  rowsRead: number;
  rowsWritten: number;
  rowsSkipped: number;
  rowsRejected: number;
  writeRetries: number;
}

/**
 * What the ingest ledger records per object version: the totals of the parts finished so far, where
 * the next part starts, and who holds the version's lease. Written from an ingest report and read
 * back (a duplicate's `previous`, a resumed part's starting point) by lib/ingest/report.ts.
 */
export interface LedgerEntry extends IngestTotals {
  source: string;
  etag: string;
  versionId: string | undefined;
  status: LedgerStatus;
  format: Format | undefined;
  compressed: boolean | undefined;
  rejectsLocations: string[];
  /** The checkpoint, while parts remain: the byte offset (decompressed) and line of the next record. */
  resumeOffset: number | undefined;
  resumeLine: number | undefined;
  /** The CSV header, as JSON, for a part that starts after it. */
  csvHeader: string | undefined;
  startedAt: Date;
  finishedAt: Date | undefined;
  /** Time spent in parts (not waiting in the queue between them). */
  durationMs: number | undefined;
  /** Why the last part failed (while in_progress: it is being retried), or why the version failed. */
  error: string | undefined;
  failure: FailureKind | undefined;
  /** The error's class (lib/ingest/failures.ts, ERROR_CLASSES): what GET /ingests shows instead of its text. */
  errorClass: string | undefined;
  /** Who works on the version now, and until when (lib/ingest/ledger.ts takes it with a lightweight transaction). */
  leaseOwner: string | undefined;
  leaseUntil: Date | undefined;
  /**
   * The highest part whose continuation message is known to have been sent: a message of an
   * earlier part, delivered again, has nothing left to do (lib/ingest/lifecycle.ts). Raised only
   * by markContinued (on the row its checkpoint wrote); cleared when an ended version is reopened.
   */
  continuedPart: number | undefined;
  /** When the row last changed (by the writer's clock): the sweep resumes a version quiet for too long. */
  updatedAt: Date | undefined;
  /**
   * Raised by one with every write but markContinued's: a takeover applies only to the row as it
   * read it, since the lease columns alone come back to the same values (a completion releases the
   * lease as a release does). Absent on rows written before it existed.
   */
  revision: number | undefined;
  /**
   * On a version split into parallel ranges (lib/ingest/split-plan.ts): how many splits its plan
   * made. Absent: not split. Each split is a row of its own, etag `<etag>/split-NNNN`.
   */
  splits: number | undefined;
  /**
   * On a split's row: the text offsets its range begins at and ends before (its checkpoint moves
   * on from the start; a gzip object's split reads the plan's text of its range, which begins at 0).
   */
  splitStart: number | undefined;
  splitEnd: number | undefined;
  /**
   * How many times the sweep resumed the version since its last recorded part (reset by a
   * checkpoint): a version that gets nowhere however often it is resumed is ended, not resumed for ever.
   */
  sweepResumes: number | undefined;
}

/** The ingest ledger: one row per object version (source + etag), so a changed object is new work. */
export const ingestLedger = table<LedgerEntry>({
  name: 'ingest_ledger',
  answers: 'has this object version been ingested, where does its next part start, and who works on it',
  partitionKey: ['source'],
  clustering: [{ column: 'etag', order: 'ASC' }],
  columns: [
    { name: 'source', type: 'text', from: 'source' },
    { name: 'etag', type: 'text', from: 'etag' },
    { name: 'version_id', type: 'text', from: 'versionId' },
    { name: 'status', type: 'text', from: 'status' },
    { name: 'format', type: 'text', from: 'format' },
    { name: 'compressed', type: 'boolean', from: 'compressed' },
    { name: 'parts', type: 'int', from: 'parts' },
    { name: 'rows_read', type: 'bigint', from: 'rowsRead' },
    { name: 'rows_written', type: 'bigint', from: 'rowsWritten' },
    { name: 'rows_skipped', type: 'bigint', from: 'rowsSkipped' },
    { name: 'rows_rejected', type: 'bigint', from: 'rowsRejected' },
    { name: 'write_retries', type: 'bigint', from: 'writeRetries' },
    { name: 'rejects_locations', type: 'list<text>', from: 'rejectsLocations' },
    { name: 'resume_offset', type: 'bigint', from: 'resumeOffset' },
    { name: 'resume_line', type: 'bigint', from: 'resumeLine' },
    { name: 'csv_header', type: 'text', from: 'csvHeader' },
    { name: 'started_at', type: 'timestamp', from: 'startedAt' },
    { name: 'finished_at', type: 'timestamp', from: 'finishedAt' },
    { name: 'duration_ms', type: 'bigint', from: 'durationMs' },
    { name: 'error', type: 'text', from: 'error' },
    { name: 'failure', type: 'text', from: 'failure' },
    { name: 'error_class', type: 'text', from: 'errorClass' },
    { name: 'lease_owner', type: 'text', from: 'leaseOwner' },
    { name: 'lease_until', type: 'timestamp', from: 'leaseUntil' },
    { name: 'continued_part', type: 'int', from: 'continuedPart' },
    { name: 'updated_at', type: 'timestamp', from: 'updatedAt' },
    { name: 'revision', type: 'int', from: 'revision' },
    { name: 'sweep_resumes', type: 'int', from: 'sweepResumes' },
    { name: 'splits', type: 'int', from: 'splits' },
    { name: 'split_start', type: 'bigint', from: 'splitStart' },
    { name: 'split_end', type: 'bigint', from: 'splitEnd' },
  ],
});

/** An object version the ingest was notified of, filed under the day it was notified. */
export interface OpenIngest {
  day: string;
  source: string;
  etag: string;
  /** When it was filed (its notification first handled). */
  filedAt: Date;
}

/**
 * Versions that may still be in progress, by the day (UTC, YYYY-MM-DD) their notification was
 * handled: what the sweep (lib/ingest/sweep.ts) reads to find a version nobody is carrying on. A
 * row is written before the version's ledger row is created (and again before a failed version is
 * reopened) and removed by the sweep once the version has ended, so a partition holds about a
 * day's objects and is never read again after a week. The filing time is part of the key: the
 * sweep removes the very row it read, never one filed since (a version reopened meanwhile).
 */
export const openIngestsByDay = table<OpenIngest>({
  name: 'open_ingests_by_day',
  answers: 'which object versions may still be in progress, by the day they were notified',
  partitionKey: ['day'],
  clustering: [
    { column: 'source', order: 'ASC' },
    { column: 'etag', order: 'ASC' },
    { column: 'filed_at', order: 'ASC' },
  ],
  columns: [
    { name: 'day', type: 'text', from: 'day' },
    { name: 'source', type: 'text', from: 'source' },
    { name: 'etag', type: 'text', from: 'etag' },
    { name: 'filed_at', type: 'timestamp', from: 'filedAt' },
  ],
});

/** Every table of the keyspace, in the order the schema creates them. */
export const allTables: readonly TableDef<never>[] = [
  ...playTables,
  ingestLedger,
  openIngestsByDay,
] as readonly TableDef<never>[];
