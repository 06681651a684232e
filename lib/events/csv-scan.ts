// The fast path of the CSV reader: records from one decoded string per chunk, for the records every
// event log is made of. Fields plain or in double quotes (commas, doubled quotes and line breaks
// inside), records ended by LF or CRLF. Anything else (a quote inside a plain field, text after a
// closing quote, a CR alone, an unclosed quote at the end of the input) is not decided here: the
// scanner says IRREGULAR and the reader hands the bytes from that record on to csv-parse, whose
// rules for broken CSV (relax_quotes, skipping a broken record) stay the only ones.
//
// Why not csv-parse for everything: it walks every byte through a general state machine and copies
// it into a field buffer; measured on the bench's event log, it alone costs more CPU per play than
// the whole ingest may add to the write path (bench/README.md, "Parsing"). Here the plain stretches
// of a line (between quoted fields) are cut with String.prototype.split, and quotes, line feeds and
// CRs are found with indexOf, each searched for once per stretch of text, not once per field.

const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;

/** The input ends inside this record, and more may come: read it again with more text. */
export const NEED_MORE = -1;
/** Not a record this scanner reads: csv-parse decides what it is. */
export const IRREGULAR = -2;

export class CsvScanner {
  /** The fields of the record read last. */
  fields: string[] = [];
  // Where the next quote, LF and CR are at or after the last place each was looked for
  // (text.length: none), so that a search is only repeated once the reader has passed its result.
  private quote = -1;
  private lf = -1;
  private cr = -1;

  constructor(private readonly text: string) {}

  private find(char: string, from: number): number {
    const at = this.text.indexOf(char, from);
    return at === -1 ? this.text.length : at;
  }

  private quoteFrom(from: number): number {
    if (this.quote < from) this.quote = this.find('"', from);
    return this.quote;
  }

  private lfFrom(from: number): number {
    if (this.lf < from) this.lf = this.find('\n', from);
    return this.lf;
  }

  private crFrom(from: number): number {
    if (this.cr < from) this.cr = this.find('\r', from);
    return this.cr;
  }

  /**
   * Reads the record starting at `pos` into `fields`. Returns the index just after its line ending,
   * NEED_MORE or IRREGULAR. A record not followed by a line ending is never complete here, even at
   * the end of the input (the reader hands that last record to csv-parse).
   */
  record(pos: number): number {
    const { text } = this;
    const n = text.length;
    let fields: string[] | undefined;
    let i = pos;
    for (;;) {
      const quote = this.quoteFrom(i);
      const lf = this.lfFrom(i);
      if (lf === n && quote === n) return NEED_MORE;
      if (lf < quote) {
        // Plain fields to the end of the line.
        const end = lf > i && text.charCodeAt(lf - 1) === CR ? lf - 1 : lf;
        if (this.crFrom(i) < end) return IRREGULAR;
        const plain = text.slice(i, end).split(',');
        if (fields) for (const f of plain) fields.push(f);
        else fields = plain;
        this.fields = fields;
        return lf + 1;
      }
      // Plain fields up to a quoted one, which must start a field.
      fields ??= [];
      if (quote > i) {
        if (text.charCodeAt(quote - 1) !== COMMA) return IRREGULAR;
        if (this.crFrom(i) < quote) return IRREGULAR;
        for (const f of text.slice(i, quote - 1).split(',')) fields.push(f);
      }
      let value = '';
      let from = quote + 1;
      for (;;) {
        const close = text.indexOf('"', from);
        if (close === -1 || close + 1 >= n) return NEED_MORE;
        if (text.charCodeAt(close + 1) === QUOTE) {
          // A doubled quote inside quotes is one quote character.
          value += text.slice(from, close + 1);
          from = close + 2;
          continue;
        }
        value += text.slice(from, close);
        i = close + 1;
        break;
      }
      fields.push(value);
      const c = text.charCodeAt(i);
      if (c === COMMA) {
        i++;
        continue;
      }
      this.fields = fields;
      if (c === LF) return i + 1;
      if (c === CR && i + 1 < n) return text.charCodeAt(i + 1) === LF ? i + 2 : IRREGULAR;
      return c === CR ? NEED_MORE : IRREGULAR;
    }
  }
}

/** Line feeds in text[from, to): the lines a record spans beyond its first. */
export function countLineFeeds(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) count++;
  return count;
}
