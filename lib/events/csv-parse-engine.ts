// csv-parse, for the records the fast scanner (csv-scan.ts) leaves to it: broken quoting, lone CRs,
// the last record of an input without a final line break, runaway records. It is driven chunk by
// chunk through its synchronous engine rather than as a stream: each record comes with the byte
// offset where it ends (csv-parse's own count, exact across chunk edges, quoted newlines, CRLF pairs
// and multi-byte characters), and a record's original text is cut from the bytes only when a
// reject needs it, instead of csv-parse keeping a second copy of every byte (`raw`).
import { type CsvError, type Options, Parser } from 'csv-parse';
import { InputError } from './input-error';

/** A real record is a few hundred bytes; one this big means an unterminated quote ate the rest. */
export const MAX_RECORD_CHARS = 16 * 1024 * 1024;

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

/** What the engine made of the bytes, each with its end: relative to where the engine started. */
export type Parsed = { record: string[]; end: number } | { skipped: CsvError; end: number };

/**
 * Why csv-parse skipped a record, without its own line numbers: it counts from where it started
 * reading (a checkpoint, say) and counts a quoted CRLF twice, so the reject's own `line` says where.
 */
export function skipReason(err: CsvError): string {
  if (err.code === 'CSV_QUOTE_NOT_CLOSED')
    return 'CSV: Quote Not Closed: a quoted field is never closed, so it runs to the end of the object';
  return `CSV: ${err.message.replace(/,? (at|on) line \d+/g, '')}`;
}

/**
 * Where the last record of span starts. Only needed after csv-parse skipped a record (an
 * unterminated quote, in practice: rare), to tell the skipped text from the record after it, so
 * the span is parsed once more with `raw` on rather than keeping every record's text for this.
 */
export function lastRecordStart(span: Buffer): number {
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

/** One csv-parse parser, fed from a record boundary on; what it parsed waits in `parsed`. */
export class CsvParseEngine {
  readonly parsed: Parsed[] = [];
  private readonly api: ParserEngine;

  /** bom: the bytes are the object's first, and csv-parse skips a byte order mark there. */
  constructor(options: { bom: boolean }) {
    const parser = new Parser({
      bom: options.bom,
      // Every line ending, in any mix (an export appended to by another tool): CRLF first, so that
      // a CRLF pair is one line end, not two.
      record_delimiter: ['\r\n', '\n', '\r'],
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: false,
      skip_records_with_error: true,
      max_record_size: MAX_RECORD_CHARS,
      // Called from inside parse(), so it stays in order with the records around it.
      on_skip: (err: CsvError | undefined) => {
        if (err) this.parsed.push({ skipped: err, end: this.api.info.bytes });
      },
    } satisfies Options);
    this.api = engine(parser);
  }

  private readonly push = (record: string[]) => this.parsed.push({ record, end: this.api.info.bytes });

  /** Parses the next bytes (none, with last: the input ended). */
  feed(chunk: Buffer | undefined, last: boolean): void {
    const err = this.api.parse(chunk, last, this.push, () => undefined);
    if (err) throw new InputError(`CSV: ${err.message}`, { cause: err });
  }
}
