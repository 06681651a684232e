// Where objects come from: S3 (streamed GetObject, never buffered) or a local file, from the first
// byte or, for a resumed part, from a checkpoint's offset of the version the first part read, and
// for a split, up to where its range ends. What
// S3, the network or the disk throws, opening or mid-read, comes out as a TransientError (the
// object having changed excepted: ObjectChangedError), so a failed read is never taken for a bug.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { asTransient } from './failures';
import { ObjectChangedError, type ObjectSource, type ObjectVersion, type OpenedObject } from './types';

/** The bytes of a body, what it throws as asTransient's. */
async function* readFailuresTransient(body: AsyncIterable<Buffer>, what: string): AsyncGenerator<Buffer> {
  try {
    yield* body;
  } catch (err: unknown) {
    throw asTransient(err, `reading ${what}`);
  }
}

/**
 * A connection the server or the network dropped mid-body, refused, or one that stalled: worth
 * resuming where it stopped.
 */
function isRetryable(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (
    err instanceof StalledError ||
    ['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'ECONNREFUSED'].includes(e.code ?? '') ||
    /^(aborted|socket hang up|premature close)/i.test(e.message ?? '')
  );
}

/**
 * Breaks in a row with no byte read between them before the download is given up. Breaks that come
 * after progress start the count again: a server closes a connection its reader paused on for
 * backpressure (LocalStack under a slow cluster closed one every few seconds, 11 in one 45 s part),
 * and such a download is moving, however often it is cut.
 */
export const MAX_RESUMES = 10;

class StalledError extends Error {
  constructor(
    readonly afterMs: number,
    message = `no bytes arrived for ${afterMs} ms`,
  ) {
    super(message);
    this.name = 'StalledError';
  }
}

/** The next chunk, or a StalledError when none comes within stallMs. */
async function nextWithin<T>(next: Promise<T>, stallMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StalledError(stallMs)), stallMs);
  });
  // A stalled read is abandoned; whatever it ends with later must not surface as unhandled.
  next.catch(() => undefined);
  try {
    return await Promise.race([next, stalled]);
  } finally {
    clearTimeout(timer);
  }
}

export interface DownloadOptions {
  /** A read that gets no byte for this long is abandoned and resumed (a stalled download). */
  stallMs: number;
  onResume?: (offset: number, err: unknown) => void;
}

/**
 * The object's bytes from `start` on, resuming with a ranged GET of the same version when a long
 * download is cut off (S3 and LocalStack both drop connections that stay open for minutes;
 * LocalStack 4.14 after about 80 s) or stalls. The stall watchdog only runs while this generator
 * waits for the network: while the ingest has paused reading on purpose (its writes are in
 * flight), nothing is being waited for, so nothing times out.
 */
async function* resumableBody(
  reopen: (offset: number) => Promise<Readable>,
  start: number,
  first: Readable,
  opts: DownloadOptions,
): AsyncGenerator<Buffer> {
  let body = first;
  let offset = start;
  /** Breaks since the last one after which bytes arrived, and where that was. */
  let resumes = 0;
  let resumedAt = start;
  /** A new body from where the last one stopped; a reopen that fails the same way is tried again. */
  const resume = async (cause: unknown): Promise<Readable> => {
    let err = cause;
    if (offset > resumedAt) resumes = 0;
    resumedAt = offset;
    for (;;) {
      if (!isRetryable(err)) throw err;
      if (resumes >= MAX_RESUMES) {
        throw new Error(
          `the download broke off or stalled ${resumes + 1} times in a row without a byte between (last: ${(err as Error).message}) at byte ${offset}; giving up`,
          { cause: err },
        );
      }
      resumes++;
      opts.onResume?.(offset, err);
      try {
        return await reopen(offset);
      } catch (next: unknown) {
        err = next;
      }
    }
  };
  try {
    for (;;) {
      const chunks = body[Symbol.asyncIterator]();
      try {
        for (;;) {
          const next = await nextWithin(chunks.next(), opts.stallMs);
          if (next.done) return;
          const chunk = next.value as Buffer;
          offset += chunk.length;
          yield chunk;
        }
      } catch (err: unknown) {
        body.destroy();
        body = await resume(err);
      }
    }
  } finally {
    body.destroy();
  }
}

/** An empty range of a version: nothing to read, nothing to ask S3 or the disk for. */
const empty = (version: ObjectVersion): OpenedObject => ({
  body: Readable.from([]),
  etag: version.etag,
  versionId: version.versionId,
});

const isStatus = (err: unknown, ...names: string[]) =>
  names.includes((err as { name?: string }).name ?? '') ||
  names.includes(String((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode));

export function s3Source(s3: S3Client, bucket: string, key: string, opts: DownloadOptions): ObjectSource {
  const source = `s3://${bucket}/${key}`;
  /**
   * The object from offset on; pinned to an ETag, it fails when the object is no longer that
   * version. An answer that does not begin within stallMs is a stalled request too.
   */
  const get = async (offset: number, etag: string | undefined, end: number | undefined) => {
    const range =
      offset > 0 || end !== undefined ? `bytes=${offset}-${end !== undefined ? end - 1 : ''}` : undefined;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new StalledError(opts.stallMs)), opts.stallMs);
    try {
      const res = await s3.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: key,
          ...(range ? { Range: range } : {}),
          ...(etag ? { IfMatch: `"${etag}"` } : {}),
        }),
        { abortSignal: abort.signal },
      );
      if (!res.Body) throw new Error(`${source} has no body from byte ${offset}`);
      // A server that ignores a range answers 200 with the whole object (S3 does, for one whose
      // end is before its start): taken as the range, it would repeat or add records.
      if (range && !res.ContentRange?.startsWith(`bytes ${offset}-`)) {
        (res.Body as Readable).destroy();
        throw new Error(`${source}: asked for ${range}, answered ${res.ContentRange ?? 'the whole object'}`);
      }
      return {
        body: res.Body as Readable,
        etag: (res.ETag ?? '').replace(/"/g, ''),
        versionId: res.VersionId,
        size: res.ContentLength,
      };
    } catch (err: unknown) {
      // Pinned to a version, it is gone: overwritten (412), or deleted (404).
      if (etag && isStatus(err, 'PreconditionFailed', '412', 'NoSuchKey', '404'))
        throw new ObjectChangedError(source);
      // A checkpoint at the very end of the object: nothing is left to read.
      if (offset > 0 && isStatus(err, 'InvalidRange', '416'))
        return { body: Readable.from([]), etag: etag ?? '', versionId: undefined, size: 0 };
      if (abort.signal.aborted)
        throw new StalledError(
          opts.stallMs,
          `${source}: S3 did not answer within ${opts.stallMs} ms (from byte ${offset})`,
        );
      throw err;
    } finally {
      // Only the wait for the answer is bounded here; the body has its own watchdog.
      clearTimeout(timer);
    }
  };
  const opened = (first: Awaited<ReturnType<typeof get>>, start: number, end?: number): OpenedObject => ({
    body: Readable.from(
      readFailuresTransient(
        resumableBody(
          // A download cut off after its range's last byte has nothing left to fetch.
          async (offset) =>
            end !== undefined && offset >= end
              ? Readable.from([])
              : (await get(offset, first.etag, end)).body,
          start,
          first.body,
          opts,
        ),
        source,
      ),
      { objectMode: false },
    ),
    etag: first.etag,
    versionId: first.versionId,
    size: first.size,
  });
  return {
    source,
    name: key,
    async open() {
      const first = await get(0, undefined, undefined).catch((err: unknown) => {
        throw asTransient(err, 'cannot read the object');
      });
      return opened(first, 0);
    },
    async openAt(version: ObjectVersion, offset: number, end?: number) {
      if (end !== undefined && end <= offset) return empty(version);
      const first = await get(offset, version.etag, end).catch((err: unknown) => {
        throw asTransient(err, 'cannot read the object');
      });
      return opened({ ...first, etag: version.etag, versionId: version.versionId }, offset, end);
    },
  };
}

/**
 * A range of an object the ingest wrote for itself (a split's text, lib/ingest/split-texts.ts),
 * resumed as a source's is when the download breaks. Not pinned to a version: nothing but the
 * plan that wrote it ever writes that key, and only what it wrote.
 */
export async function s3OutputRange(
  s3: S3Client,
  bucket: string,
  key: string,
  opts: DownloadOptions,
  offset: number,
  end: number,
): Promise<Readable> {
  // An empty ETag asks for no version (get pins only to one it is given), and so does a resume.
  const opened = await s3Source(s3, bucket, key, opts).openAt(
    { etag: '', versionId: undefined },
    offset,
    end,
  );
  return opened.body;
}

/** A local file; its version is told by size and modification time (as make and rsync do). */
export function fileSource(path: string): ObjectSource {
  const absolute = resolve(path);
  const fingerprint = async () => {
    const info = await stat(absolute);
    return `${info.size}-${Math.trunc(info.mtimeMs)}`;
  };
  const read = (start: number, etag: string, end?: number): OpenedObject => ({
    body: Readable.from(
      readFailuresTransient(
        // createReadStream's end is inclusive.
        createReadStream(absolute, {
          highWaterMark: 256 * 1024,
          start,
          ...(end !== undefined ? { end: end - 1 } : {}),
        }),
        absolute,
      ),
      { objectMode: false },
    ),
    etag,
    versionId: undefined,
  });
  const fingerprintOrFail = async () => {
    try {
      return await fingerprint();
    } catch (err: unknown) {
      throw asTransient(err, 'cannot read the object');
    }
  };
  return {
    source: absolute,
    name: absolute,
    async open() {
      return read(0, await fingerprintOrFail());
    },
    async openAt(version: ObjectVersion, offset: number, end?: number) {
      if ((await fingerprintOrFail()) !== version.etag) throw new ObjectChangedError(absolute);
      return end !== undefined && end <= offset ? empty(version) : read(offset, version.etag, end);
    },
  };
}
