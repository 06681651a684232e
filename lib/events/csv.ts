// CSV event logs: a header row names the columns (any order); CRLF or LF; UTF-8 with or without
// BOM; quoted fields holding commas, quotes or newlines. Rows that cannot be read as CSV are yielded
// as malformed with the text they came from, so they can be kept as rejects.
//
// Two readers share the work. The scanner (csv-scan.ts) reads the records real logs are made of,
// from one decoded string per chunk. At the first record it cannot vouch for, the bytes from that
// record on go to csv-parse (csv-parse-engine.ts) until csv-parse has read past it and the chunk
// ends; then the scanner takes over again at the next record boundary. So broken CSV is judged by
// csv-parse's rules alone, and a well-formed log never pays for its per-byte state machine.
// Every batch knows the byte offset after its last record: where a resumed ingest starts.
import {
  CsvParseEngine,
  lastRecordStart,
  MAX_RECORD_CHARS,
  type Parsed,
  skipReason,
} from './csv-parse-engine';
import { CsvScanner, countLineFeeds, IRREGULAR } from './csv-scan';
import {
  type ParsedRecord,
  type PlayFields,
  REQUIRED_FIELDS,
  type ReadPosition,
  type RecordBatch,
} from './event';
import { InputError } from './input-error';

const LF = 0x0a;
const BOM = 0xfeff;
/**
 * A record still open after this many characters is left to csv-parse, which reads on from where it
 * is instead of the scanner reading it again from its start with every chunk (a real record is a
 * few hundred bytes; this is a runaway quote, or a field nobody should store).
 */
const MAX_SCAN_CHARS = 1024 * 1024;

/** A record's original text, as rejects keep it: without the line break that ends it. */
function stripEol(raw: string): string {
  return raw.replace(/\r?\n$|\r$/, '');
}

/** The original text of the record at [start, end) of what it was read from (chars or bytes). */
function recordText(source: string | Buffer, start: number, end: number): string {
  return stripEol(
    typeof source === 'string' ? source.slice(start, end) : source.toString('utf8', start, end),
  );
}

function countLf(buf: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = buf.indexOf(LF, from); i !== -1 && i < to; i = buf.indexOf(LF, i + 1)) n++;
  return n;
}

/** A header row: its column names, and the position of each field a play needs among them. */
class CsvHeader {
  readonly positions: number[];
  constructor(readonly names: string[]) {
    this.positions = REQUIRED_FIELDS.map((f) => names.indexOf(f));
  }
}

/**
 * A record that parsed into as many fields as the header has. What validation reads (`playFields`)
 * comes from the values by position; every field by name and the record's text, which only a
 * reject needs, are made when asked for.
 */
class CsvEvent {
  readonly kind = 'event' as const;
  constructor(
    readonly line: number,
    private readonly values: string[],
    private readonly header: CsvHeader,
    private readonly source: string | Buffer,
    private readonly start: number,
    private readonly end: number,
  ) {}

  /** The record itself: it has a getter for each of REQUIRED_FIELDS (defined below). */
  get playFields(): PlayFields {
    return this as unknown as PlayFields;
  }

  get fields(): Record<string, string> {
    return named(this.values, this.header.names);
  }

  get raw(): string {
    const { source, start, end } = this;
    return stripEol(
      typeof source === 'string' ? source.slice(start, end) : source.toString('utf8', start, end),
    );
  }

  valueAt(field: number): string | undefined {
    return this.values[this.header.positions[field] as number];
  }
}
for (const [i, field] of REQUIRED_FIELDS.entries()) {
  Object.defineProperty(CsvEvent.prototype, field, {
    get(this: CsvEvent) {
      return this.valueAt(i);
    },
  });
}

function named(values: string[], names: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i < names.length && i < values.length; i++)
    fields[names[i] as string] = values[i] as string;
  return fields;
}

export interface CsvOptions {
  /**
   * false: csv-parse reads every record, as it did before the scanner. The same records either way
   * (test/unit/events/csv-differential.test.ts); the bench measures both.
   */
  scanner?: boolean;
}

/**
 * Records in batches (one per chunk read), in order, each batch with the position after its last
 * record. `from` is where the bytes start: the beginning of the object, or a checkpoint, in which
 * case it carries the header read before.
 */
export async function* csvRecords(
  bytes: AsyncIterable<Buffer>,
  from: ReadPosition,
  options: CsvOptions = {},
): AsyncGenerator<RecordBatch> {
  const reader = new CsvReader(from, options.scanner ?? true);
  for await (const chunk of bytes) {
    const batch = reader.read(chunk, false);
    if (batch) yield batch;
  }
  const batch = reader.read(undefined, true);
  if (batch) yield batch;
}

class CsvReader {
  private header: CsvHeader | undefined;
  private line: number;
  /** The bytes read since the end of the last whole record, which starts at offset `pendingOffset`. */
  private pending: Buffer[] = [];
  private pendingOffset: number;
  private atStart: boolean;
  /** csv-parse, while it reads what the scanner left to it; `engineOffset` is where it began. */
  private engine: CsvParseEngine | undefined;
  private engineOffset = 0;
  private records: ParsedRecord[] = [];

  constructor(
    from: ReadPosition,
    private readonly scanner: boolean,
  ) {
    this.header = from.header && new CsvHeader(from.header);
    this.line = from.line;
    this.pendingOffset = from.offset;
    this.atStart = from.offset === 0;
  }

  /** Takes the next chunk (none, with last: the input ended); the records it completed, if any. */
  read(chunk: Buffer | undefined, last: boolean): RecordBatch | undefined {
    const offsetBefore = this.pendingOffset;
    if (chunk) this.pending.push(chunk);
    if (this.engine) this.engine.feed(chunk, last);
    else if (this.scanner) this.scan(last);
    else this.handOver(last);
    if (this.engine) this.takeParsed(last);
    if (this.pendingOffset === offsetBefore && !(last && this.records.length > 0)) return undefined;
    const batch = {
      records: this.records,
      end: { offset: this.pendingOffset, line: this.line, header: this.header?.names },
    };
    this.records = [];
    return batch;
  }

  /** csv-parse reads on from the pending bytes (from the very start: the BOM is its to skip). */
  private handOver(last: boolean): void {
    this.engine = new CsvParseEngine({ bom: this.pendingOffset === 0 });
    this.engineOffset = this.pendingOffset;
    this.atStart = false;
    if (this.pending.length > 0) this.engine.feed(this.window(), last);
  }

  private window(): Buffer {
    const { pending } = this;
    return pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending);
  }

  /** The scanner's records from the pending bytes, up to where it needs more or hands over. */
  private scan(last: boolean): void {
    const window = this.window();
    if (window.length === 0) return;
    // The bytes come whole characters at a time (input.ts), so every chunk decodes on its own.
    const text = window.toString('utf8');
    // A BOM is skipped with the first record, so that every batch ends at a record boundary.
    const first = this.atStart && text.charCodeAt(0) === BOM ? 1 : 0;
    let pos = first;
    let toCsvParse = false;
    const scanner = new CsvScanner(text);
    for (;;) {
      const end = scanner.record(pos);
      if (end >= 0) {
        this.addRecord(scanner.fields, this.line, text, pos, end);
        this.line += countLineFeeds(text, pos, end);
        pos = end;
        continue;
      }
      toCsvParse = end === IRREGULAR || last || text.length - pos > MAX_SCAN_CHARS;
      break;
    }
    // Nothing read past a BOM: csv-parse, if it is its turn, starts from the very start.
    if (pos === first) {
      if (toCsvParse) this.handOver(last);
      return;
    }
    this.atStart = false;
    const rest = pos === text.length ? 0 : Buffer.byteLength(text.slice(pos));
    this.pendingOffset += window.length - rest;
    this.pending = rest > 0 ? [window.subarray(window.length - rest)] : [];
    if (toCsvParse && rest > 0) this.handOver(last);
  }

  /** What csv-parse has read to the end of a record, as records; back to the scanner once it got past one. */
  private takeParsed(last: boolean): void {
    const engine = this.engine as CsvParseEngine;
    const { parsed } = engine;
    if (parsed.length === 0 && !last) return;
    const window = this.window();
    const at = (item: Parsed) => this.engineOffset + item.end - this.pendingOffset;
    let start = 0;
    const advance = (end: number) => {
      const lf = countLf(window, start, end);
      this.line += window[end - 1] === LF ? lf : lf + 1;
      start = end;
    };
    let i = 0;
    for (; i < parsed.length; i++) {
      const item = parsed[i] as Parsed;
      if ('skipped' in item) {
        if (item.skipped.code === 'CSV_MAX_RECORD_SIZE') {
          throw new InputError(
            `line ${this.line}: a record exceeds ${MAX_RECORD_CHARS} characters (an unterminated quote?); ` +
              'the rest of the object could not be read',
          );
        }
        // The skipped text runs to the start of the next record, or to the end of the input.
        let j = i + 1;
        while (j < parsed.length && 'skipped' in (parsed[j] as Parsed)) j++;
        const next = parsed[j];
        if (!next && !last) break; // its end is not known yet: wait for more input
        const end = next ? start + lastRecordStart(window.subarray(start, at(next))) : window.length;
        this.records.push({
          kind: 'malformed',
          line: this.line,
          reason: skipReason(item.skipped),
          raw: stripEol(window.toString('utf8', start, end)),
        });
        advance(end);
        i = j - 1;
        continue;
      }
      const end = at(item);
      this.addRecord(item.record, this.line, window, start, end);
      advance(end);
    }
    parsed.splice(0, i);
    this.pending = start < window.length ? [window.subarray(start)] : [];
    this.pendingOffset += start;
    // Past the record the scanner could not read: the scanner reads on from the next boundary.
    if (this.scanner && (start > 0 || last)) this.engine = undefined;
  }

  /** One record's fields, read from source[start, end) on line `line`: the header, a blank line, or a record. */
  private addRecord(
    fields: string[],
    line: number,
    source: string | Buffer,
    start: number,
    end: number,
  ): void {
    if (fields.length === 1 && (fields[0] as string).trim() === '') return;
    const { header } = this;
    if (!header) {
      this.header = new CsvHeader(readHeader(fields, line));
      return;
    }
    const raw = () => recordText(source, start, end);
    if (isHeaderAgain(fields, header.names)) {
      this.records.push({ kind: 'malformed', line, reason: 'the header row again', raw: raw() });
      return;
    }
    if (fields.length !== header.names.length) {
      this.records.push({
        kind: 'malformed',
        line,
        reason: `expected ${header.names.length} fields as in the header, found ${fields.length}`,
        raw: raw(),
        fields: named(fields, header.names),
      });
      return;
    }
    this.records.push(new CsvEvent(line, fields, header, source, start, end));
  }
}

/** Files joined with `cat` repeat their header: not an event, but not to be lost silently either. */
function isHeaderAgain(record: string[], header: string[]): boolean {
  return record.length === header.length && record.every((field, i) => field.trim() === header[i]);
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
