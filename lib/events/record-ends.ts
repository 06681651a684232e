// Where a CSV record ends, found on the bytes without reading its fields: what a split plan needs
// (lib/ingest/split-plan.ts), at a small part of what parsing costs. The rules are the scanner's
// (csv-scan.ts) for the records every event log is made of: fields plain or in double quotes
// (commas, doubled quotes and line breaks inside), records ended by LF or CRLF. Anything else is
// IRREGULAR, as there, and is for the reader to decide; a caller must not guess past it.
import { IRREGULAR, NEED_MORE } from './csv-scan';

const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;

/**
 * The record ends of one window of bytes, records read in order. Like the scanner, it remembers
 * where the next quote, LF and CR are, and searches again only once a record has passed them: a
 * search per record to the end of the window would make a window of many records cost its length
 * squared (1 MiB chunks of plain records took 13 times as long as parsing them).
 */
export class CsvRecordEnds {
  private quote = -1;
  private lf = -1;
  private cr = -1;

  constructor(private readonly buf: Buffer) {}

  private find(byte: number, from: number): number {
    const at = this.buf.indexOf(byte, from);
    return at === -1 ? this.buf.length : at;
  }

  private quoteFrom(from: number): number {
    if (this.quote < from) this.quote = this.find(QUOTE, from);
    return this.quote;
  }

  private lfFrom(from: number): number {
    if (this.lf < from) this.lf = this.find(LF, from);
    return this.lf;
  }

  private crFrom(from: number): number {
    if (this.cr < from) this.cr = this.find(CR, from);
    return this.cr;
  }

  /**
   * The offset just after the line ending of the record starting at `pos`, NEED_MORE when the
   * window ends inside it (a record not followed by a line ending is never complete here, as in
   * the scanner), or IRREGULAR.
   */
  end(pos: number): number {
    const { buf } = this;
    const n = buf.length;
    let i = pos;
    for (;;) {
      const lf = this.lfFrom(i);
      const quote = this.quoteFrom(i);
      if (lf === n && quote === n) return NEED_MORE;
      if (lf < quote) {
        // Plain fields to the end of the line; a CR only right before the LF.
        const end = lf > i && buf[lf - 1] === CR ? lf - 1 : lf;
        return this.crFrom(i) < end ? IRREGULAR : lf + 1;
      }
      // Plain fields up to a quoted one, which must start a field.
      if (quote > i && (buf[quote - 1] !== COMMA || this.crFrom(i) < quote)) return IRREGULAR;
      let from = quote + 1;
      for (;;) {
        const close = buf.indexOf(QUOTE, from);
        if (close === -1 || close + 1 >= n) return NEED_MORE;
        if (buf[close + 1] !== QUOTE) {
          i = close + 1;
          break;
        }
        from = close + 2; // a doubled quote is one quote character
      }
      const c = buf[i];
      if (c === COMMA) {
        i++;
        continue;
      }
      if (c === LF) return i + 1;
      if (c === CR) return i + 1 >= n ? NEED_MORE : buf[i + 1] === LF ? i + 2 : IRREGULAR;
      return IRREGULAR;
    }
  }
}
