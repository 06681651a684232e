// Turns an object's bytes into parsed records: gunzips when the bytes are gzip (whatever the name
// says, so `.gz` files and Content-Encoding: gzip both work), then picks CSV or JSON lines by the
// name's extension, falling back to a look at the content. A resumed read starts at a checkpoint's
// position: plain bytes are fetched from that offset on; gzip has no way in but from its start, so
// it is inflated from byte 0 and the decompressed bytes before the offset are discarded (CPU, but
// nothing is parsed or written twice). Objects that cannot be event logs fail here, at once, with
// what they are instead: an empty object, UTF-16, bytes that are not UTF-8 (Latin-1, binary).
import { isUtf8 } from 'node:buffer';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { csvRecords } from './csv';
import { type ReadPosition, type RecordBatch, START_OF_OBJECT } from './event';
import { type Format, formatFromName } from './formats';
import { InputError } from './input-error';
import { jsonlRecords } from './jsonl';

export interface OpenedInput {
  format: Format;
  compressed: boolean;
  /** Records in order, a batch at a time, each with the position after it. */
  batches: AsyncGenerator<RecordBatch>;
}

/** Where a resumed read starts, with what the read before it learnt of the object. */
export interface ResumeFrom {
  position: ReadPosition;
  format: Format;
  compressed: boolean;
}

/** Reads at least n bytes (or all there is) and gives them back with a stream of everything. */
async function peek(
  source: AsyncIterable<Buffer>,
  n: number,
): Promise<{ head: Buffer; all: AsyncIterable<Buffer>; ended: boolean }> {
  const iterator = source[Symbol.asyncIterator]();
  const seen: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < n) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    seen.push(chunk);
    size += chunk.length;
  }
  async function* all(): AsyncGenerator<Buffer> {
    try {
      yield* seen;
      if (done) return;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        yield Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
      }
    } finally {
      // A consumer that stops early must still release the source (an S3 socket, a file handle).
      if (!done) await iterator.return?.();
    }
  }
  return { head: Buffer.concat(seen), all: all(), ended: done };
}

/**
 * The same bytes, failing at the first that is not UTF-8 (Latin-1, Windows-1252 and binary data all
 * have such bytes within the first kilobytes). A character split between two chunks is checked
 * whole, with the next chunk.
 */
async function* utf8Only(bytes: AsyncIterable<Buffer>, startOffset: number): AsyncGenerator<Buffer> {
  let carry: Buffer | undefined;
  let offset = startOffset;
  for await (const chunk of bytes) {
    const buf = carry ? Buffer.concat([carry, chunk]) : chunk;
    // Back up over an incomplete sequence at the end: at most 3 continuation bytes after its lead.
    let end = buf.length;
    for (let i = buf.length - 1; i >= 0 && i >= buf.length - 4; i--) {
      const b = buf[i] as number;
      if ((b & 0xc0) !== 0x80) {
        const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
        if (buf.length - i < need) end = i;
        break;
      }
    }
    const whole = buf.subarray(0, end);
    if (!isUtf8(whole)) {
      const bad = firstInvalidUtf8(whole);
      throw new InputError(
        `not UTF-8 text: byte ${offset + bad} (0x${(whole[bad] ?? 0).toString(16)}) is not part of a UTF-8 character ` +
          '(Latin-1, Windows-1252 or binary data?); convert the file to UTF-8',
      );
    }
    carry = end < buf.length ? buf.subarray(end) : undefined;
    offset += end;
    if (whole.length > 0) yield whole;
  }
  if (carry) throw new InputError(`not UTF-8 text: the object ends inside a character at byte ${offset}`);
}

/** Where UTF-8 decoding would first fail (only looked for once a chunk is known to be invalid). */
function firstInvalidUtf8(buf: Buffer): number {
  for (let i = 0; i < buf.length; ) {
    const b = buf[i] as number;
    const need =
      b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (need === 0 || !isUtf8(buf.subarray(i, i + need))) return i;
    i += need;
  }
  return buf.length;
}

/** What a text's first bytes say about it that no event log is. */
function notAnEventLog(head: Buffer, ended: boolean): string | undefined {
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff))
    return 'UTF-16 text: the ingest reads UTF-8; convert the file to UTF-8';
  if (
    ended &&
    head
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .trim() === ''
  )
    return 'the object is empty: no header and no events';
  return undefined;
}

function gunzip(bytes: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  const inflate = createGunzip();
  pipeline(Readable.from(bytes), inflate).catch(() => undefined); // errors surface on `inflate`
  return (async function* () {
    try {
      for await (const chunk of inflate) yield chunk as Buffer;
    } catch (err: unknown) {
      // Only zlib's own errors (Z_DATA_ERROR, Z_BUF_ERROR, …) say the bytes are bad; a download
      // that broke off reaches here through the pipeline too, and is not the object's fault.
      if (!/^Z_/.test((err as { code?: string }).code ?? '')) throw err;
      throw new InputError(`gzip data is corrupt or truncated: ${(err as Error).message}`, { cause: err });
    }
  })();
}

/** An object's text: its bytes, inflated when they are gzip (by the magic bytes, whatever the name). */
export async function objectText(
  bytes: AsyncIterable<Buffer>,
): Promise<{ compressed: boolean; text: AsyncIterable<Buffer> }> {
  const raw = await peek(bytes, 2);
  const compressed = raw.head.length >= 2 && raw.head[0] === 0x1f && raw.head[1] === 0x8b;
  return { compressed, text: compressed ? gunzip(raw.all) : raw.all };
}

function sniffFormat(head: Buffer): Format {
  const text = head
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  return text.startsWith('{') ? 'jsonl' : 'csv';
}

/** The bytes after the first n. */
async function* skip(bytes: AsyncIterable<Buffer>, n: number): AsyncGenerator<Buffer> {
  let left = n;
  for await (const chunk of bytes) {
    if (left >= chunk.length) {
      left -= chunk.length;
      continue;
    }
    yield left > 0 ? chunk.subarray(left) : chunk;
    left = 0;
  }
  if (left > 0) throw new InputError(`the object ends ${left} bytes before the checkpoint it resumes from`);
}

const readers = { csv: csvRecords, jsonl: jsonlRecords };

/**
 * The records of an object. bytes: the whole object, or, resuming plain (uncompressed) input, the
 * object from resume.position.offset on.
 */
export async function openRecords(
  bytes: AsyncIterable<Buffer>,
  name: string,
  resume?: ResumeFrom,
): Promise<OpenedInput> {
  if (resume) {
    const { format, compressed, position } = resume;
    const text = compressed ? skip(gunzip(bytes), position.offset) : bytes;
    // A checkpoint is a record boundary, so never inside a character.
    return { format, compressed, batches: readers[format](utf8Only(text, position.offset), position) };
  }
  const { format, compressed, text } = await openText(bytes, name);
  return { format, compressed, batches: readers[format](text, START_OF_OBJECT) };
}

/**
 * An object's text from its start, checked as the reader checks it: inflated if gzip, refused if
 * it cannot be an event log, failing at the first byte that is not UTF-8 (and cut only between
 * characters); with the format its name or its first bytes say.
 */
export async function openText(
  bytes: AsyncIterable<Buffer>,
  name: string,
): Promise<{ format: Format; compressed: boolean; text: AsyncIterable<Buffer> }> {
  const object = await objectText(bytes);
  const text = await peek(object.text, 512);
  const problem = notAnEventLog(text.head, text.ended);
  if (problem) throw new InputError(problem);
  const format = formatFromName(name) ?? sniffFormat(text.head);
  return { format, compressed: object.compressed, text: utf8Only(text.all, 0) };
}
