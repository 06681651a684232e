// Helpers of the reader's tests: bytes in chunks of a size, as a stream hands them over, and a
// parsed record as plain data that toEqual compares whole (kind, line, text, fields, reason).
import type { ParsedRecord } from '../../lib/events/event';

export async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

export const plainRecord = (r: ParsedRecord) => ({
  kind: r.kind,
  line: r.line,
  raw: r.raw,
  fields: r.fields,
  reason: r.kind === 'malformed' ? r.reason : undefined,
});
