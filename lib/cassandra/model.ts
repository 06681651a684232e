// The data model, defined once. Each query gets its own table whose partition key is exactly what
// the query is given, so every read is a single-partition keyed read. The DDL, the insert
// statements, the keyed selects and the CloudFormation resources are all derived from these
// definitions (see cql.ts); no column list is typed anywhere else.
import type { Play } from '../events/event';
import type { Format } from '../events/formats';

export const CQL_TYPES = ['int', 'bigint', 'text', 'double', 'timestamp'] as const;
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

/** `running` while an ingest works on the object version; then how it ended. */
export const LEDGER_STATUSES = ['running', 'completed', 'failed'] as const;
export type LedgerStatus = (typeof LEDGER_STATUSES)[number];

/**
 * What the ingest ledger records per object version. Written from an ingest report and read back as
 * a duplicate's `previous` by the two mappings in lib/ingest/report.ts.
 */
export interface LedgerEntry {
  source: string;
  etag: string;
  versionId: string | undefined;
  status: LedgerStatus;
  format: Format | undefined;
  rowsRead: number;
  rowsWritten: number;
  rowsSkipped: number;
  rowsRejected: number;
  rejectsLocation: string | undefined;
  startedAt: Date;
  finishedAt: Date | undefined;
  durationMs: number | undefined;
  error: string | undefined;
}

/** The ingest ledger: one row per object version (source + etag), so a changed object is new work. */
export const ingestLedger = table<LedgerEntry>({
  name: 'ingest_ledger',
  answers: 'has this object version been ingested, and with what outcome',
  partitionKey: ['source'],
  clustering: [{ column: 'etag', order: 'ASC' }],
  columns: [
    { name: 'source', type: 'text', from: 'source' },
    { name: 'etag', type: 'text', from: 'etag' },
    { name: 'version_id', type: 'text', from: 'versionId' },
    { name: 'status', type: 'text', from: 'status' },
    { name: 'format', type: 'text', from: 'format' },
    { name: 'rows_read', type: 'bigint', from: 'rowsRead' },
    { name: 'rows_written', type: 'bigint', from: 'rowsWritten' },
    { name: 'rows_skipped', type: 'bigint', from: 'rowsSkipped' },
    { name: 'rows_rejected', type: 'bigint', from: 'rowsRejected' },
    { name: 'rejects_location', type: 'text', from: 'rejectsLocation' },
    { name: 'started_at', type: 'timestamp', from: 'startedAt' },
    { name: 'finished_at', type: 'timestamp', from: 'finishedAt' },
    { name: 'duration_ms', type: 'bigint', from: 'durationMs' },
    { name: 'error', type: 'text', from: 'error' },
  ],
});

/** Every table of the keyspace, in the order the schema creates them. */
export const allTables: readonly TableDef<never>[] = [
  ...playTables,
  ingestLedger,
] as readonly TableDef<never>[];
