// JSON lines, eventsim's native output: one JSON object per line, numbers as numbers, null for
// missing values. A line that is not a JSON object is yielded as malformed, never dropped. Lines are
// split on the bytes (a line feed never occurs inside a multi-byte UTF-8 character), so every batch
// knows the byte offset a resumed ingest would start from.
import { type ParsedRecord, REQUIRED_FIELDS, type ReadPosition, type RecordBatch } from './event';
import { InputError } from './input-error';

/** A real event is under 1 KB; a longer line is kept as a reject (clipped, as every reject's text is) and skipped. */
export const MAX_LINE_BYTES = 1024 * 1024;
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

/**
 * Whether an object read from its start is JSON lines at all: the first event among its first
 * JSONL_PROBE_LINES lines that are not blank says it is; an array, or that many lines without an
 * event, that it is not (an InputError). The reader and the split plan (lib/ingest/split-plan.ts,
 * which must not cut an object before this is decided) ask the same probe.
 */
export class JsonlProbe {
  private probed: ParsedRecord[] = [];

  /** A probe of an object read from its start; a read from a checkpoint has nothing to decide. */
  constructor(private probing: boolean) {}

  /** Whether it is decided: an event was seen (or there was nothing to decide). */
  get decided(): boolean {
    return !this.probing;
  }

  /** The next records in order (`ended`: there are no more); throws when the object is not JSON lines. */
  take(records: readonly ParsedRecord[], ended: boolean): void {
    if (!this.probing) return;
    for (const r of records) {
      // An array opens on the first line whatever its elements look like, even one object a line.
      if (this.probed.length === 0 && r.raw.trimStart().startsWith('[')) throw notJsonLines(r);
      if (r.kind === 'event') {
        this.probing = false;
        this.probed = [];
        return;
      }
      this.probed.push(r);
    }
    if (this.probed.length >= JSONL_PROBE_LINES || (ended && this.probed.length > 0))
      throw notJsonLines(this.probed[0] as ParsedRecord);
  }
}

/** One line of JSON lines (buf[start, end), without its LF) as a record; undefined when blank. */
export function jsonlRecord(buf: Buffer, start: number, end: number, line: number): ParsedRecord | undefined {
  return toRecord(buf, start, end, line);
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
  const probe = new JsonlProbe(from.offset === 0);
  for await (const chunk of bytes) {
    let buf: Buffer = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    if (atStart) {
      // Wait for more only while the bytes may still be a BOM: a short first line must not wait
      // (read a byte at a time, "{\n" was once read to its end as one line, LF and all).
      if (buf.length < BOM.length && BOM.subarray(0, buf.length).equals(buf)) {
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
      probe.take(held, false);
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
  probe.take(held, true);
  if (held.length > 0 || carry.length > 0 || discarding)
    yield { records: held, end: { offset, line, header: undefined } };
}
