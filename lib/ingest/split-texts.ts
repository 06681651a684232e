// The inflated text of a gzip object's splits, kept in the outputs bucket for the splits to read:
// the plan (split-plan.ts) inflates the object once and hands each split's text here in order, and
// each is streamed up as it comes, a multipart upload of full chunks, so memory stays at a chunk
// however large the object. A plan that fails part-way abandons the upload it had open; texts
// already whole stay under keys of this version, written again the same by the next plan.
import type { OutputStore, Upload } from './output-store';
import type { SplitTextSink } from './split-plan';

/** Text held before it goes up as a part: above S3's 5 MiB minimum part. */
export const SPLIT_TEXT_CHUNK_BYTES = 8 * 1024 * 1024;

export interface SplitTexts extends SplitTextSink {
  /** Where each split's text is, by split index (s3://bucket/key), once it is whole. */
  readonly locations: string[];
  /** The plan failed: drop the upload in progress, if any. */
  abandon(): Promise<void>;
}

const TEXT = 'text/plain; charset=utf-8';

/** Split texts as objects of the outputs; keyOf(index) names a split's (s3SplitTextKey). */
export function outputSplitTexts(
  outputs: OutputStore,
  keyOf: (split: number) => string,
  chunkBytes = SPLIT_TEXT_CHUNK_BYTES,
): SplitTexts {
  let open: { split: number; held: Buffer[]; heldBytes: number; upload?: Upload } | undefined;
  const locations: string[] = [];
  const take = () => {
    if (!open) return Buffer.alloc(0);
    const chunk = Buffer.concat(open.held, open.heldBytes);
    open.held = [];
    open.heldBytes = 0;
    return chunk;
  };
  return {
    locations,
    async write(split, bytes) {
      if (open && open.split !== split)
        throw new Error(`split ${split}'s text began before split ${open.split}'s ended`);
      open ??= { split, held: [], heldBytes: 0 };
      open.held.push(bytes);
      open.heldBytes += bytes.length;
      if (open.heldBytes >= chunkBytes) {
        open.upload ??= await outputs.startUpload(keyOf(split), TEXT);
        await open.upload.part(take());
      }
    },
    async end(split) {
      open ??= { split, held: [], heldBytes: 0 };
      if (open.split !== split)
        throw new Error(`split ${split} ended while split ${open.split}'s text was open`);
      const key = keyOf(split);
      const last = take();
      if (open.upload) {
        if (last.length > 0) await open.upload.part(last);
        await open.upload.complete();
      } else await outputs.put(key, last, TEXT);
      locations[split] = outputs.location(key);
      open = undefined;
    },
    async abandon() {
      const upload = open?.upload;
      open = undefined;
      await upload?.abort().catch(() => undefined);
    },
  };
}
