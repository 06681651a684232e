// Keeps rejected records, never drops them: one JSON line each (line number, reason, the record as
// read and its original text), spooled to a temporary file so memory stays flat however many there
// are, then stored as an S3 object beside the source or as a local file beside the CLI's report.
// With no rejects, a stale rejects file from an earlier version of the object is removed. Which
// records are rejected, and why, is decided elsewhere (lib/events/classify.ts, the parsers).
import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Reject, RejectStore } from './types';

interface Destination {
  location: string;
  store(file: string, bytes: number): Promise<void>;
  remove(): Promise<void>;
}

class SpooledRejects implements RejectStore {
  private out: WriteStream | undefined;
  private dir: string | undefined;
  private count = 0;

  constructor(private readonly destination: Destination) {}

  private async file(): Promise<WriteStream> {
    if (!this.out) {
      this.dir = await mkdtemp(join(tmpdir(), 'tracklog-rejects-'));
      this.out = createWriteStream(join(this.dir, 'rejects.jsonl'));
    }
    return this.out;
  }

  async add(reject: Reject): Promise<void> {
    const out = await this.file();
    this.count++;
    if (!out.write(`${JSON.stringify(reject)}\n`)) await once(out, 'drain');
  }

  async finish(): Promise<string | undefined> {
    try {
      if (!this.out || this.count === 0) {
        await this.destination.remove();
        return undefined;
      }
      const out = this.out;
      out.end();
      await once(out, 'finish');
      const file = out.path.toString();
      await this.destination.store(file, (await stat(file)).size);
      return this.destination.location;
    } finally {
      if (this.dir) await rm(this.dir, { recursive: true, force: true });
    }
  }
}

/**
 * The rejects of one part, named after the object: `<name>.jsonl` for the first part (and so for
 * every object ingested in one), `<name>.part-0002.jsonl` and so on for later parts.
 */
export function partRejectsName(name: string, part: number): string {
  return part === 1 ? `${name}.jsonl` : `${name}.part-${String(part).padStart(4, '0')}.jsonl`;
}

/** rejected/<original key>.jsonl in the source bucket (the prefix is configurable), per part. */
export function s3RejectsKey(prefix: string, key: string, part = 1): string {
  return partRejectsName(`${prefix}${key}`, part);
}

export function s3RejectStore(s3: S3Client, bucket: string, key: string): RejectStore {
  return new SpooledRejects({
    location: `s3://${bucket}/${key}`,
    store: async (file, bytes) => {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: createReadStream(file),
          ContentLength: bytes,
          ContentType: 'application/x-ndjson',
        }),
      );
    },
    remove: async () => {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
  });
}

export function fileRejectStore(path: string): RejectStore {
  return new SpooledRejects({
    location: path,
    store: async (file) => {
      await mkdir(dirname(path), { recursive: true });
      await copyFile(file, path);
    },
    remove: async () => {
      await unlink(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    },
  });
}
