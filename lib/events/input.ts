// Turns an object's bytes into parsed records: gunzips when the bytes are gzip (whatever the name
// says, so `.gz` files and Content-Encoding: gzip both work), then picks CSV or JSON lines by the
// name's extension, falling back to a look at the content. A resumed read starts at a checkpoint's
// position: plain bytes are fetched from that offset on; gzip has no way in but from its start, so
// it is inflated from byte 0 and the decompressed bytes before the offset are discarded (CPU, but
// nothing is parsed or written twice).
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
): Promise<{ head: Buffer; all: AsyncIterable<Buffer> }> {
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
  return { head: Buffer.concat(seen), all: all() };
}

function gunzip(bytes: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  const inflate = createGunzip();
  pipeline(Readable.from(bytes), inflate).catch(() => undefined); // errors surface on `inflate`
  return (async function* () {
    try {
      for await (const chunk of inflate) yield chunk as Buffer;
    } catch (err: unknown) {
      throw new InputError(`gzip data is corrupt or truncated: ${(err as Error).message}`, { cause: err });
    }
  })();
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
    return { format, compressed, batches: readers[format](text, position) };
  }
  const raw = await peek(bytes, 2);
  const compressed = raw.head.length >= 2 && raw.head[0] === 0x1f && raw.head[1] === 0x8b;
  const text = compressed ? await peek(gunzip(raw.all), 512) : await peek(raw.all, 512);
  const format = formatFromName(name) ?? sniffFormat(text.head);
  return { format, compressed, batches: readers[format](text.all, START_OF_OBJECT) };
}
