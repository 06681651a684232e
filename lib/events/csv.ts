// CSV event logs: a header row names the columns (any order); CRLF or LF; UTF-8 with or without
// BOM; quoted fields holding commas, quotes or newlines. Rows csv-parse cannot make sense of are
// yielded as malformed with the text they came from, so they can be kept as rejects.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type CsvError, type Options, parse } from 'csv-parse';
import { readBatches } from './batches';
import { type ParsedRecord, REQUIRED_FIELDS } from './event';
import { InputError } from './input-error';

/** A real record is a few hundred bytes; one this big means an unterminated quote ate the rest. */
const MAX_RECORD_CHARS = 16 * 1024 * 1024;

interface CsvRow {
  record: string[];
  raw: string;
}
interface CsvSkip {
  skipped: CsvError;
  raw: string;
}

/** A record's original text, as rejects keep it: without the line break that ends it. */
function stripEol(raw: string): string {
  return raw.replace(/\r?\n$|\r$/, '');
}

/** Lines a record's text spans; csv-parse leaves the final line break in or out depending on EOL. */
function linesSpanned(raw: string): number {
  const body = raw.endsWith('\n') ? raw.slice(0, -1) : raw;
  let n = 1;
  for (let i = body.indexOf('\n'); i !== -1; i = body.indexOf('\n', i + 1)) n++;
  return n;
}

/** Records in batches (what the parser has ready), in order. */
export async function* csvRecords(bytes: AsyncIterable<Buffer>): AsyncGenerator<ParsedRecord[]> {
  const options: Options & { readableHighWaterMark: number } = {
    // csv-parse hands its options to the stream too: let a batch hold up to this many records.
    readableHighWaterMark: 256,
    bom: true,
    raw: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: false,
    skip_records_with_error: true,
    max_record_size: MAX_RECORD_CHARS,
    // Pushed from inside the parse call, so it stays in order with the records around it.
    on_skip: (err: CsvError | undefined, raw: string | undefined) => {
      if (err) parser.push({ skipped: err, raw: raw ?? '' } satisfies CsvSkip);
    },
  };
  const parser = parse(options);
  const feeding = pipeline(Readable.from(bytes), parser);
  // Observed below on the normal path; when the consumer stops early the parser is destroyed and
  // the premature-close rejection is expected.
  feeding.catch(() => undefined);
  let header: string[] | undefined;
  let line = 1;
  try {
    for await (const items of readBatches<CsvRow | CsvSkip>(parser)) {
      const out: ParsedRecord[] = [];
      for (const item of items) {
        const start = line;
        line += linesSpanned(item.raw);
        if ('skipped' in item) {
          if (item.skipped.code === 'CSV_MAX_RECORD_SIZE') {
            throw new InputError(
              `line ${start}: a record exceeds ${MAX_RECORD_CHARS} characters (an unterminated quote?); ` +
                'the rest of the object could not be read',
            );
          }
          out.push({
            kind: 'malformed',
            line: start,
            reason: `CSV: ${item.skipped.message}`,
            raw: stripEol(item.raw),
          });
          continue;
        }
        const { record } = item;
        if (record.length === 1 && record[0]?.trim() === '') continue; // blank line: not a record
        if (!header) {
          header = readHeader(record, start);
          continue;
        }
        const fields: Record<string, string> = {};
        for (let i = 0; i < header.length && i < record.length; i++)
          fields[header[i] as string] = record[i] as string;
        if (record.length !== header.length) {
          out.push({
            kind: 'malformed',
            line: start,
            reason: `expected ${header.length} fields as in the header, found ${record.length}`,
            raw: stripEol(item.raw),
            fields,
          });
          continue;
        }
        out.push({ kind: 'event', line: start, fields, raw: stripEol(item.raw) });
      }
      if (out.length > 0) yield out;
    }
    await feeding;
  } finally {
    parser.destroy();
  }
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
