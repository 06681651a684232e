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

/** A CR inside [from, to) (one not ending a line, as the caller asks). */
function crWithin(buf: Buffer, from: number, to: number): boolean {
  const cr = buf.indexOf(CR, from);
  return cr !== -1 && cr < to;
}

/**
 * The offset just after the line ending of the record starting at `pos` in buf, NEED_MORE when buf
 * ends inside it (a record not followed by a line ending is never complete here, as in the
 * scanner), or IRREGULAR.
 */
export function csvRecordEnd(buf: Buffer, pos: number): number {
  const n = buf.length;
  let i = pos;
  for (;;) {
    const lf = buf.indexOf(LF, i);
    const quote = buf.indexOf(QUOTE, i);
    if (lf === -1 && quote === -1) return NEED_MORE;
    if (quote === -1 || (lf !== -1 && lf < quote)) {
      // Plain fields to the end of the line; a CR only right before the LF.
      const end = lf > i && buf[lf - 1] === CR ? lf - 1 : lf;
      return crWithin(buf, i, end) ? IRREGULAR : lf + 1;
    }
    // Plain fields up to a quoted one, which must start a field.
    if (quote > i && (buf[quote - 1] !== COMMA || crWithin(buf, i, quote))) return IRREGULAR;
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
