// The shape of one raw event (eventsim's field names, as in the CSV exports and JSON lines), of a
// validated song play (the unit the query tables are built from), and the limits a play's values
// must respect. The query API checks its parameters against the same limits, so a value the ingest
// can store is exactly a value the API can ask for.

/** Fields a record must carry for a play to be validated; the CSV header must name all of them. */
export const REQUIRED_FIELDS = [
  'page',
  'artist',
  'song',
  'length',
  'sessionId',
  'itemInSession',
  'userId',
  'firstName',
  'lastName',
] as const;

export type RequiredField = (typeof REQUIRED_FIELDS)[number];

/** Ids are stored as CQL `int`: a 32-bit signed integer. */
export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
export const isInt32 = (n: number) => Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX;

/** Longer text is not a real artist, title or name; it would bloat partitions and responses. */
export const MAX_TEXT_LENGTH = 1000;

/** One parsed record: field name to value (strings from CSV, JSON values from JSON lines). */
export type RawEvent = Record<string, unknown>;

/** What classify() reads of a record: the fields a play is made of. */
export type PlayFields = { readonly [F in RequiredField]?: unknown };

export interface Play {
  sessionId: number;
  itemInSession: number;
  userId: number;
  artist: string;
  song: string;
  /** Seconds; unset when the record had none. */
  length: number | undefined;
  firstName: string | undefined;
  lastName: string | undefined;
}

/**
 * A record as read from the input, before validation, with the line it starts on (1-based) and its
 * original text (clipped by clipRaw only where a reject is stored). An event's `playFields` are
 * what validation reads, `fields` every field it has, for a reject to keep: a CSV reader makes the
 * second (and the text) only when asked for.
 */
export type ParsedRecord =
  | {
      readonly kind: 'event';
      readonly line: number;
      readonly playFields: PlayFields;
      readonly fields: RawEvent;
      readonly raw: string;
    }
  | { kind: 'malformed'; line: number; reason: string; raw: string; fields?: RawEvent };

/**
 * Where reading stands: the byte offset (in the decompressed bytes) and the line number of the next
 * record, and the CSV header read so far. A checkpoint is one of these: a resumed ingest reads from
 * `offset` on, as if it had read everything before.
 */
export interface ReadPosition {
  offset: number;
  line: number;
  header: string[] | undefined;
}

/** What a reader yields: records in order, and the position after the last of them. */
export interface RecordBatch {
  records: ParsedRecord[];
  end: ReadPosition;
}

export const START_OF_OBJECT: ReadPosition = { offset: 0, line: 1, header: undefined };

/** Rejects keep at most this much of a record's original text (a runaway record can be megabytes). */
export const MAX_RAW_CHARS = 64 * 1024;

/** A record's original text as a reject keeps it: clipped to MAX_RAW_CHARS. */
export function clipRaw(text: string): string {
  return text.length > MAX_RAW_CHARS ? `${text.slice(0, MAX_RAW_CHARS)}…[truncated]` : text;
}
