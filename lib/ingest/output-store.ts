// Where the ingest's outputs go (reports, rejects): the outputs bucket, behind a small interface so
// that the simulator (test/sim/) runs the real report and rejects code against an S3 of its own.
// Every key an ingest writes names the object version it belongs to (lib/ingest/service.ts), so
// no version ever writes over another's outputs.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { transient } from './failures';

/** One object written in parts, in order; every part but the last at least S3's 5 MiB. */
export interface Upload {
  part(body: Buffer): Promise<void>;
  complete(): Promise<void>;
  /** Discards the parts sent so far. */
  abort(): Promise<void>;
}

export interface OutputStore {
  /** What a report or the ledger calls the object at `key`: s3://bucket/key. */
  location(key: string): string;
  put(key: string, body: string | Buffer, contentType: string): Promise<void>;
  startUpload(key: string, contentType: string): Promise<Upload>;
  /** Deletes these objects (those that exist): what the ingest wrote only for itself (split texts). */
  remove(keys: string[]): Promise<void>;
}

/** The outputs bucket; what S3 throws is a TransientError (lib/ingest/failures.ts). */
export function s3OutputStore(s3: S3Client, bucket: string): OutputStore {
  return {
    location: (key) => `s3://${bucket}/${key}`,
    put: (key, body, contentType) =>
      transient(`storing s3://${bucket}/${key}`, async () => {
        await s3.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }),
        );
      }),
    async remove(keys) {
      // DeleteObjects takes at most 1,000 keys a request.
      for (let i = 0; i < keys.length; i += 1000) {
        const Objects = keys.slice(i, i + 1000).map((Key) => ({ Key }));
        const res = await transient(`deleting ${Objects.length} objects of s3://${bucket}`, () =>
          s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects, Quiet: true } })),
        );
        const failed = res.Errors ?? [];
        if (failed.length > 0)
          throw new Error(
            `could not delete ${failed.length} objects of s3://${bucket} (first: ${failed[0]?.Key}: ${failed[0]?.Code})`,
          );
      }
    },
    async startUpload(key, contentType) {
      const at = `s3://${bucket}/${key}`;
      const created = await transient(`starting the upload of ${at}`, () =>
        s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: contentType })),
      );
      const uploadId = created.UploadId;
      if (!uploadId) throw new Error(`S3 started no upload of ${at}`);
      const parts: { ETag: string | undefined; PartNumber: number }[] = [];
      return {
        part: (body) =>
          transient(`uploading part ${parts.length + 1} of ${at}`, async () => {
            const PartNumber = parts.length + 1;
            const res = await s3.send(
              new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber, Body: body }),
            );
            parts.push({ ETag: res.ETag, PartNumber });
          }),
        complete: () =>
          transient(`completing the upload of ${at}`, async () => {
            await s3.send(
              new CompleteMultipartUploadCommand({
                Bucket: bucket,
                Key: key,
                UploadId: uploadId,
                MultipartUpload: { Parts: parts },
              }),
            );
          }),
        abort: () =>
          transient(`aborting the upload of ${at}`, async () => {
            await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
          }),
      };
    },
  };
}
