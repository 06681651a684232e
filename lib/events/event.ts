// The shape of one raw event (eventsim's field names, as in the CSV exports and JSON lines) and of
// a validated song play, the unit the query tables are built from.

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

/** One parsed record: field name to value (strings from CSV, JSON values from JSON lines). */
export type RawEvent = Record<string, unknown>;

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

/** A record as read from the input, before validation, with the line it starts on (1-based). */
export type ParsedRecord =
  | { kind: 'event'; line: number; fields: RawEvent; raw: string }
  | { kind: 'malformed'; line: number; reason: string; raw: string; fields?: RawEvent };

export type Format = 'csv' | 'jsonl';
