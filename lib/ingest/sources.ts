// Where objects come from: S3 (streamed GetObject, never buffered) or a local file.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ObjectSource } from './types';

/** A connection the server or the network dropped mid-body: worth resuming where it stopped. */
function isDroppedConnection(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (
    ['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED'].includes(e.code ?? '') ||
    /^(aborted|socket hang up|premature close)/i.test(e.message ?? '')
  );
}

export const MAX_RESUMES = 10;

/**
 * The object's bytes, resuming with a ranged GET (pinned to the ETag with If-Match) when a long
 * download is cut off: S3 and LocalStack both drop connections that stay open for minutes
 * (LocalStack 4.14 after about 80 s), and a large object read at ingest speed takes longer than that.
 */
async function* resumableBody(
  s3: S3Client,
  bucket: string,
  key: string,
  first: Readable,
  etag: string,
  onResume?: (offset: number, err: unknown) => void,
): AsyncGenerator<Buffer> {
  let body = first;
  let offset = 0;
  let resumes = 0;
  try {
    for (;;) {
      try {
        for await (const chunk of body) {
          offset += (chunk as Buffer).length;
          yield chunk as Buffer;
        }
        return;
      } catch (err: unknown) {
        if (!isDroppedConnection(err) || resumes >= MAX_RESUMES) throw err;
        resumes++;
        onResume?.(offset, err);
        body.destroy();
        const res = await s3.send(
          new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${offset}-`, IfMatch: `"${etag}"` }),
        );
        if (!res.Body) throw new Error(`s3://${bucket}/${key} has no body from byte ${offset}`);
        body = res.Body as Readable;
      }
    }
  } finally {
    body.destroy();
  }
}

export function s3Source(
  s3: S3Client,
  bucket: string,
  key: string,
  onResume?: (offset: number, err: unknown) => void,
): ObjectSource {
  return {
    source: `s3://${bucket}/${key}`,
    name: key,
    async open() {
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!res.Body) throw new Error(`s3://${bucket}/${key} has no body`);
      const etag = (res.ETag ?? '').replace(/"/g, '');
      return {
        body: Readable.from(resumableBody(s3, bucket, key, res.Body as Readable, etag, onResume), {
          objectMode: false,
        }),
        etag,
        versionId: res.VersionId,
      };
    },
  };
}

/** A local file; its version is told by size and modification time (as make and rsync do). */
export function fileSource(path: string): ObjectSource {
  const absolute = resolve(path);
  return {
    source: absolute,
    name: absolute,
    async open() {
      const info = await stat(absolute);
      return {
        body: createReadStream(absolute, { highWaterMark: 256 * 1024 }),
        etag: `${info.size}-${Math.trunc(info.mtimeMs)}`,
        versionId: undefined,
      };
    },
  };
}
