// JSON lines, eventsim's native output: one JSON object per line, numbers as numbers, null for
// missing values. A line that is not a JSON object is yielded as malformed, never dropped. Lines are
// split on the bytes (a line feed never occurs inside a multi-byte UTF-8 character), so every batch
// knows the byte offset a resumed ingest would start from.
import { type ParsedRecord, REQUIRED_FIELDS, type ReadPosition, type RecordBatch } from './event';
import { InputError } from './input-error';

/** A real event is under 1 KB; a longer line is kept as a reject (clipped, as every reject's text is) and skipped. */
const MAX_LINE_BYTES = 1024 * 1024;
const LF = 0x0a;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

function toRecord(buf: Buffer, start: number, end: number, line: number): ParsedRecord | undefined {
  const stop = end > start && buf[end - 1] === 0x0d ? end - 1 : end;
  const raw = buf.toString('utf8', start, stop);
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
  if (!REQUIRED_FIELDS.some((f) => f in value)) {
    return {
      kind: 'malformed',
      line,
      reason: `not an event: none of its fields is one of ${REQUIRED_FIELDS.join(', ')}`,
      raw,
    };
  }
  const fields = value as Record<string, unknown>;
  return { kind: 'event', line, playFields: fields, fields, raw };
}

/**
 * Lines looked at before deciding an object is not JSON lines at all: if the first this many that
 * are not blank (or all of them, in a shorter object) are not event objects, the object fails as a
 * whole instead of completing with every line rejected.
 */
export const JSONL_PROBE_LINES = 20;

function notJsonLines(first: ParsedRecord): InputError {
  const start = first.raw.trimStart();
  if (start.startsWith('['))
    return new InputError(
      "a JSON array, not JSON lines: the ingest reads one event object per line (eventsim's output); " +
        "convert it with jq -c '.[]'",
    );
  if (start === '{' || start.endsWith('{') || /^\{\s*"[^"]*"\s*:\s*[[{]?$/.test(start))
    return new InputError(
      'a JSON document spread over several lines (pretty-printed?), not JSON lines: the ingest reads one ' +
        'event object per line; write it with jq -c',
    );
  const reason = first.kind === 'malformed' ? first.reason : 'not an event';
  return new InputError(
    `not JSON lines: none of the first lines is an event object (line ${first.line}: ${reason})`,
  );
}

/** Records in batches (the complete lines of each chunk read), in order, from `from` on. */
export async function* jsonlRecords(
  bytes: AsyncIterable<Buffer>,
  from: ReadPosition,
): AsyncGenerator<RecordBatch> {
  let carry: Buffer = Buffer.alloc(0);
  // The absolute offset of carry[0], and the number of the line it starts.
  let offset = from.offset;
  let line = from.line;
  let atStart = from.offset === 0;
  // Records not yet handed on: held while an overlong line is being discarded, because the
  // position after them is only known (and a batch may only end) once that line has ended.
  let held: ParsedRecord[] = [];
  let discarding = false;
  // Until an event is seen among the first lines, the object may not be JSON lines at all.
  let probing = from.offset === 0;
  let probed: ParsedRecord[] = [];
  const probe = (records: ParsedRecord[], ended: boolean) => {
    if (!probing) return;
    for (const r of records) {
      // An array opens on the first line whatever its elements look like, even one object a line.
      if (probed.length === 0 && r.raw.trimStart().startsWith('[')) throw notJsonLines(r);
      if (r.kind === 'event') {
        probing = false;
        return;
      }
      probed.push(r);
    }
    if (probed.length >= JSONL_PROBE_LINES || (ended && probed.length > 0))
      throw notJsonLines(probed[0] as ParsedRecord);
  };
  for await (const chunk of bytes) {
    let buf: Buffer = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    if (atStart) {
      if (buf.length < BOM.length) {
        carry = buf;
        continue;
      }
      if (buf.subarray(0, BOM.length).equals(BOM)) {
        buf = buf.subarray(BOM.length);
        offset += BOM.length;
      }
      atStart = false;
    }
    let start = 0;
    for (let nl = buf.indexOf(LF); nl !== -1; nl = buf.indexOf(LF, start)) {
      if (discarding) discarding = false;
      else {
        const rec = toRecord(buf, start, nl, line);
        if (rec) held.push(rec);
      }
      line++;
      start = nl + 1;
    }
    carry = buf.subarray(start);
    offset += start;
    if (!discarding && carry.length > MAX_LINE_BYTES) {
      held.push({
        kind: 'malformed',
        line,
        reason: `line longer than ${MAX_LINE_BYTES} bytes`,
        raw: carry.toString('utf8', 0, MAX_LINE_BYTES),
      });
      discarding = true;
    }
    if (discarding) {
      // Its bytes are dropped as they come, but counted: the position after it includes them.
      offset += carry.length;
      carry = Buffer.alloc(0);
    } else if (start > 0) {
      probe(held, false);
      yield { records: held, end: { offset, line, header: undefined } };
      held = [];
    }
  }
  if (atStart && BOM.subarray(0, carry.length).equals(carry)) carry = Buffer.alloc(0); // a BOM alone
  if (carry.length > 0 && !discarding) {
    const rec = toRecord(carry, 0, carry.length, line);
    if (rec) held.push(rec);
    offset += carry.length;
    line++;
  }
  probe(held, true);
  probed = [];
  if (held.length > 0 || carry.length > 0 || discarding)
    yield { records: held, end: { offset, line, header: undefined } };
}
