// CSV event logs: a header row names the columns (any order); CRLF or LF; UTF-8 with or without
// BOM; quoted fields holding commas, quotes or newlines. Rows csv-parse cannot make sense of are
// yielded as malformed with the text they came from, so they can be kept as rejects.
//
// The parser is driven chunk by chunk through its synchronous API rather than as a stream: each
// record is taken with the byte offset where it ends (csv-parse's own count, exact across chunk
// edges, quoted newlines, CRLF pairs and multi-byte characters), so every batch knows the offset a
// resumed ingest would start from, and a record's original text is cut from the chunk only when
// someone asks for it (a reject), instead of csv-parse keeping a second copy of every byte (`raw`).
import { type CsvError, type Options, Parser } from 'csv-parse';
import { type ParsedRecord, REQUIRED_FIELDS, type ReadPosition, type RecordBatch } from './event';
import { InputError } from './input-error';

/** A real record is a few hundred bytes; one this big means an unterminated quote ate the rest. */
const MAX_RECORD_CHARS = 16 * 1024 * 1024;
const LF = 0x0a;

/** A record's original text, as rejects keep it: without the line break that ends it. */
function stripEol(raw: string): string {
  return raw.replace(/\r?\n$|\r$/, '');
}

function countLf(buf: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = buf.indexOf(LF, from); i !== -1 && i < to; i = buf.indexOf(LF, i + 1)) n++;
  return n;
}

/** A record that parsed into fields; its text is cut from the chunk only when asked for. */
class CsvEvent {
  readonly kind = 'event' as const;
  constructor(
    readonly line: number,
    readonly fields: Record<string, string>,
    private readonly buf: Buffer,
    private readonly start: number,
    private readonly end: number,
  ) {}

  get raw(): string {
    return stripEol(this.buf.toString('utf8', this.start, this.end));
  }
}

type Parsed = { record: string[]; end: number } | { skipped: CsvError; end: number };

/**
 * The synchronous engine inside csv-parse's stream (`parser.api`, what its own Parser and sync API
 * drive): parse() takes one chunk, calls push() for each record before returning, and info.bytes is
 * the offset just after the record being pushed. Not in its type declarations, hence this view;
 * test/unit/events/input.test.ts fails if a release changes it.
 */
interface ParserEngine {
  parse(
    chunk: Buffer | undefined,
    end: boolean,
    push: (record: never) => void,
    close: () => void,
  ): Error | undefined;
  info: { bytes: number };
}

const engine = (parser: Parser) => (parser as unknown as { api: ParserEngine }).api;

/**
 * Why csv-parse skipped a record, without its own line numbers: it counts from where it started
 * reading (a checkpoint, say) and counts a quoted CRLF twice, so the reject's own `line` says where.
 */
function skipReason(err: CsvError): string {
  if (err.code === 'CSV_QUOTE_NOT_CLOSED')
    return 'CSV: Quote Not Closed: a quoted field is never closed, so it runs to the end of the object';
  return `CSV: ${err.message.replace(/,? (at|on) line \d+/g, '')}`;
}

/**
 * Where the last record of span starts. Only needed after csv-parse skipped a record (an
 * unterminated quote, in practice: rare), to tell the skipped text from the record after it, so
 * the span is parsed once more with `raw` on rather than keeping every record's text for this.
 */
function lastRecordStart(span: Buffer): number {
  let raw = '';
  const parser = new Parser({
    raw: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_records_with_error: true,
  });
  engine(parser).parse(
    span,
    true,
    (record: { raw: string }) => {
      raw = record.raw;
    },
    () => undefined,
  );
  return span.length - Buffer.byteLength(raw);
}

/**
 * Records in batches (one per chunk read), in order, each batch with the position after its last
 * record. `from` is where the bytes start: the beginning of the object, or a checkpoint, in which
 * case it carries the header read before.
 */
export async function* csvRecords(
  bytes: AsyncIterable<Buffer>,
  from: ReadPosition,
): AsyncGenerator<RecordBatch> {
  const parsed: Parsed[] = [];
  const parser = new Parser({
    bom: from.offset === 0,
    // Every line ending, in any mix (an export appended to by another tool): CRLF first, so that a
    // CRLF pair is one line end, not two.
    record_delimiter: ['\r\n', '\n', '\r'],
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: false,
    skip_records_with_error: true,
    max_record_size: MAX_RECORD_CHARS,
    // Called from inside parse(), so it stays in order with the records around it.
    on_skip: (err: CsvError | undefined) => {
      if (err) parsed.push({ skipped: err, end: api.info.bytes });
    },
  } satisfies Options);
  const api = engine(parser);
  const push = (record: string[]) => parsed.push({ record, end: api.info.bytes });
  let header = from.header;
  let line = from.line;
  // The chunks read since the end of the last whole record (absolute offset `pendingOffset`): the
  // window records are cut from, joined only when a record ends in it.
  let pending: Buffer[] = [];
  let pendingOffset = from.offset;

  /** Turns what the parser produced into records; undefined while no record has ended. */
  const take = (last: boolean): RecordBatch | undefined => {
    if (parsed.length === 0 && !last) return undefined;
    const window = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending);
    // csv-parse counts bytes from the start of what it was given, which is from.offset.
    const at = (item: Parsed) => from.offset + item.end - pendingOffset;
    const records: ParsedRecord[] = [];
    let start = 0;
    const advance = (end: number) => {
      const lf = countLf(window, start, end);
      line += window[end - 1] === LF ? lf : lf + 1;
      start = end;
    };
    let i = 0;
    for (; i < parsed.length; i++) {
      const item = parsed[i] as Parsed;
      if ('skipped' in item) {
        if (item.skipped.code === 'CSV_MAX_RECORD_SIZE') {
          throw new InputError(
            `line ${line}: a record exceeds ${MAX_RECORD_CHARS} characters (an unterminated quote?); ` +
              'the rest of the object could not be read',
          );
        }
        // The skipped text runs to the start of the next record, or to the end of the input.
        let j = i + 1;
        while (j < parsed.length && 'skipped' in (parsed[j] as Parsed)) j++;
        const next = parsed[j];
        if (!next && !last) break; // its end is not known yet: wait for more input
        const end = next ? start + lastRecordStart(window.subarray(start, at(next))) : window.length;
        records.push({
          kind: 'malformed',
          line,
          reason: skipReason(item.skipped),
          raw: stripEol(window.toString('utf8', start, end)),
        });
        advance(end);
        i = j - 1;
        continue;
      }
      const end = at(item);
      const { record } = item;
      if (!(record.length === 1 && record[0]?.trim() === '')) {
        if (!header) header = readHeader(record, line);
        else if (isHeaderAgain(record, header))
          records.push({
            kind: 'malformed',
            line,
            reason: 'the header row again',
            raw: stripEol(window.toString('utf8', start, end)),
          });
        else records.push(toRecord(record, header, line, window, start, end));
      }
      advance(end);
    }
    parsed.splice(0, i);
    pending = start < window.length ? [window.subarray(start)] : [];
    pendingOffset += start;
    if (start === 0) return undefined;
    return { records, end: { offset: pendingOffset, line, header } };
  };

  const parse = (chunk: Buffer | undefined, last: boolean) => {
    const err = api.parse(chunk, last, push, () => undefined);
    if (err) throw new InputError(`CSV: ${err.message}`, { cause: err });
  };

  for await (const chunk of bytes) {
    pending.push(chunk);
    parse(chunk, false);
    const batch = take(false);
    if (batch) yield batch;
  }
  parse(undefined, true);
  const batch = take(true);
  if (batch) yield batch;
}

/** Files joined with `cat` repeat their header: not an event, but not to be lost silently either. */
function isHeaderAgain(record: string[], header: string[]): boolean {
  return record.length === header.length && record.every((field, i) => field.trim() === header[i]);
}

function toRecord(
  record: string[],
  header: string[],
  line: number,
  window: Buffer,
  start: number,
  end: number,
): ParsedRecord {
  const fields: Record<string, string> = {};
  for (let i = 0; i < header.length && i < record.length; i++)
    fields[header[i] as string] = record[i] as string;
  if (record.length !== header.length) {
    return {
      kind: 'malformed',
      line,
      reason: `expected ${header.length} fields as in the header, found ${record.length}`,
      raw: stripEol(window.toString('utf8', start, end)),
      fields,
    };
  }
  return new CsvEvent(line, fields, window, start, end);
}

function readHeader(record: string[], line: number): string[] {
  const names = record.map((name) => name.trim());
  const missing = REQUIRED_FIELDS.filter((f) => !names.includes(f));
  if (missing.length > 0) {
    const shown = names.join(',').slice(0, 120);
    throw new InputError(
      `line ${line}: not an event log header: missing column(s) ${missing.join(', ')} (header was "${shown}")`,
    );
  }
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) throw new InputError(`line ${line}: column "${duplicate}" appears twice in the header`);
  return names;
}
