// Where objects come from: S3 (streamed GetObject, never buffered) or a local file.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ObjectSource } from './types';

export function s3Source(s3: S3Client, bucket: string, key: string): ObjectSource {
  return {
    source: `s3://${bucket}/${key}`,
    name: key,
    async open() {
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!res.Body) throw new Error(`s3://${bucket}/${key} has no body`);
      return {
        body: res.Body as Readable,
        etag: (res.ETag ?? '').replace(/"/g, ''),
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
