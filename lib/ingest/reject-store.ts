// Keeps rejected records, never drops them: one JSON line each (line number, reason, the record as
// read and its original text), held in memory only up to one chunk and written out as they come,
// so memory stays bounded and no local disk is used however many rejects a part has (Lambda's
// /tmp is small, and a full disk must never take the process down). S3 objects get a multipart
// upload, started at the first full chunk (a part with fewer rejects is one PutObject); the CLI's
// local files are written beside its report. Every failure is an ordinary rejected promise (no
// stream 'error' events): the part fails, transiently, and is retried. Which records are
// rejected, and why, is decided elsewhere (lib/events/classify.ts, the parsers).
import { type FileHandle, mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TransientError, transient } from './failures';
import type { OutputStore, Upload } from './output-store';
import type { Reject, RejectStore } from './types';

/** Rejects held before they are written out: above S3's 5 MiB minimum part, about 12,000 rejects. */
export const REJECTS_CHUNK_BYTES = 8 * 1024 * 1024;

/** Where one part's rejects are written, a chunk at a time. */
interface RejectsOutput {
  location: string;
  /** A full chunk; more follow. */
  append(chunk: Buffer): Promise<void>;
  /** The last chunk (possibly all there is, possibly empty after full ones). */
  finish(last: Buffer): Promise<void>;
  /** The part failed: drop what was written. */
  discard(): Promise<void>;
  /** The part had no rejects: remove what an earlier run left at this name, if anything. */
  clear(): Promise<void>;
}

class ChunkedRejects implements RejectStore {
  private held: Buffer[] = [];
  private heldBytes = 0;
  private count = 0;

  constructor(
    private readonly out: RejectsOutput,
    private readonly chunkBytes: number,
  ) {}

  async add(reject: Reject): Promise<void> {
    const line = Buffer.from(`${JSON.stringify(reject)}\n`);
    this.held.push(line);
    this.heldBytes += line.length;
    this.count++;
    if (this.heldBytes >= this.chunkBytes) await this.out.append(this.take());
  }

  async finish(): Promise<string | undefined> {
    if (this.count === 0) {
      await this.out.clear();
      return undefined;
    }
    await this.out.finish(this.take());
    return this.out.location;
  }

  async abandon(): Promise<void> {
    this.take();
    await this.out.discard().catch(() => undefined);
  }

  private take(): Buffer {
    const chunk = Buffer.concat(this.held, this.heldBytes);
    this.held = [];
    this.heldBytes = 0;
    return chunk;
  }
}

const NDJSON = 'application/x-ndjson';

/** One part's rejects as the object `key` of the outputs; the key is never another attempt's. */
export function outputRejectStore(
  outputs: OutputStore,
  key: string,
  chunkBytes = REJECTS_CHUNK_BYTES,
): RejectStore {
  let upload: Upload | undefined;
  return new ChunkedRejects(
    {
      location: outputs.location(key),
      async append(chunk) {
        upload ??= await outputs.startUpload(key, NDJSON);
        await upload.part(chunk);
      },
      async finish(last) {
        if (!upload) return outputs.put(key, last, NDJSON);
        if (last.length > 0) await upload.part(last);
        await upload.complete();
      },
      async discard() {
        await upload?.abort();
      },
      // The key is this attempt's own: nothing earlier can be there.
      clear: async () => undefined,
    },
    chunkBytes,
  );
}

/**
 * The rejects of one part, named after the object: `<name>.jsonl` for the first part (and so for
 * every object ingested in one), `<name>.part-0002.jsonl` and so on for later parts.
 */
export function partRejectsName(name: string, part: number): string {
  return part === 1 ? `${name}.jsonl` : `${name}.part-${String(part).padStart(4, '0')}.jsonl`;
}

/**
 * A local file (the CLI), written to `<path>.partial` and renamed into place when whole, so a file
 * at `path` is always a complete one. A part without rejects removes a stale file at `path`.
 */
export function fileRejectStore(path: string, chunkBytes = REJECTS_CHUNK_BYTES): RejectStore {
  const partial = `${path}.partial`;
  let file: FileHandle | undefined;
  const write = (chunk: Buffer) =>
    transient(`writing rejects to ${partial}`, async () => {
      if (!file) {
        await mkdir(dirname(path), { recursive: true });
        file = await open(partial, 'w');
      }
      await file.write(chunk);
    });
  const removeIfThere = async (at: string) => {
    await unlink(at).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw new TransientError(`removing ${at}: ${err.message}`, { cause: err });
    });
  };
  return new ChunkedRejects(
    {
      location: path,
      append: write,
      async finish(last) {
        await write(last);
        await transient(`finishing ${path}`, async () => {
          await file?.close();
          file = undefined;
          await rename(partial, path);
        });
      },
      async discard() {
        await file?.close();
        file = undefined;
        await removeIfThere(partial);
      },
      clear: () => removeIfThere(path),
    },
    chunkBytes,
  );
}
