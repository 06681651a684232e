// Puts local files into a bucket for `npm run demo` and `npm run upload`: each body streamed from
// disk with its length given (never read whole into memory), a few at a time.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { PutObjectCommand, type PutObjectCommandOutput } from '@aws-sdk/client-s3';
import { runLimited } from '../../lib/concurrency';

export interface PutTarget {
  send(command: PutObjectCommand): Promise<Pick<PutObjectCommandOutput, 'ETag'>>;
}

export interface PutFilesOptions {
  bucket: string;
  /** Keys are prefix + the file's name. */
  prefix: string;
  /** Uploads in flight at once. */
  concurrency?: number;
  onUploaded?: (uploaded: Uploaded) => void;
}

export interface Uploaded {
  file: string;
  key: string;
  /** Without quotes. */
  etag: string;
}

const UPLOAD_CONCURRENCY = 4;

/** Uploads files, in their order in the result; the first failure stops new uploads and is thrown. */
export async function putFiles(
  s3: PutTarget,
  files: readonly string[],
  opts: PutFilesOptions,
): Promise<Uploaded[]> {
  const results: Uploaded[] = new Array(files.length);
  await runLimited(files.length, opts.concurrency ?? UPLOAD_CONCURRENCY, async (index) => {
    const file = files[index] as string;
    const key = `${opts.prefix}${basename(file)}`;
    const { size } = await stat(file);
    const body = createReadStream(file);
    try {
      const put = await s3.send(
        new PutObjectCommand({ Bucket: opts.bucket, Key: key, Body: body, ContentLength: size }),
      );
      results[index] = { file, key, etag: (put.ETag ?? '').replace(/"/g, '') };
    } finally {
      body.destroy();
    }
    opts.onUploaded?.(results[index] as Uploaded);
  });
  return results;
}
