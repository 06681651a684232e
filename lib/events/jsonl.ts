// JSON lines, eventsim's native output: one JSON object per line, numbers as numbers, null for
// missing values. A line that is not a JSON object is yielded as malformed, never dropped.
import { StringDecoder } from 'node:string_decoder';
import type { ParsedRecord } from './event';

/** A real event is under 1 KB; a longer line is kept as a reject (clipped, as every reject's text is) and skipped. */
const MAX_LINE_CHARS = 1024 * 1024;

function toRecord(text: string, line: number): ParsedRecord | undefined {
  const raw = text.endsWith('\r') ? text.slice(0, -1) : text;
  if (raw.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err: unknown) {
    return { kind: 'malformed', line, reason: `invalid JSON: ${(err as Error).message}`, raw };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'malformed', line, reason: 'a JSON line must hold an object', raw };
  }
  return { kind: 'event', line, fields: value as Record<string, unknown>, raw };
}

/** Records in batches (the complete lines of each chunk read), in order. */
export async function* jsonlRecords(bytes: AsyncIterable<Buffer>): AsyncGenerator<ParsedRecord[]> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let line = 0;
  let first = true;
  // While set, the rest of an overlong line is being discarded (it was already rejected).
  let discarding = false;
  for await (const chunk of bytes) {
    let text = carry + decoder.write(chunk);
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    const out: ParsedRecord[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      line++;
      if (discarding) discarding = false;
      else {
        const rec = toRecord(text.slice(start, nl), line);
        if (rec) out.push(rec);
      }
      start = nl + 1;
    }
    carry = text.slice(start);
    if (!discarding && carry.length > MAX_LINE_CHARS) {
      out.push({
        kind: 'malformed',
        line: line + 1,
        reason: `line longer than ${MAX_LINE_CHARS} characters`,
        raw: carry,
      });
      discarding = true;
    }
    if (discarding) carry = '';
    if (out.length > 0) yield out;
  }
  carry += decoder.end();
  if (carry.length > 0 && !discarding) {
    const rec = toRecord(carry, line + 1);
    if (rec) yield [rec];
  }
}
