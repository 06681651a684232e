// Rejects and split texts streamed to S3 as they come, against LocalStack: more than one chunk goes
// up as a multipart upload whose parts S3 accepts (5 MiB at least, but the last), read back whole
// and in order; a part that failed aborts its upload, leaving nothing behind.
import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, GetObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { s3OutputStore } from '../../lib/ingest/output-store';
import { outputRejectStore } from '../../lib/ingest/reject-store';
import { planSplits } from '../../lib/ingest/split-plan';
import { outputSplitTexts } from '../../lib/ingest/split-texts';
import { s3SplitTextKey } from '../../lib/ingest/version-outputs';
import { s3Client, uniqueName } from './support/aws';

describe('rejects streamed to S3', () => {
  const s3 = s3Client();
  const bucket = uniqueName('it-outputs');
  const outputs = s3OutputStore(s3, bucket);
  const reject = (line: number) => ({
    line,
    reason: 'userId is missing',
    record: undefined,
    raw: `row ${line} ${'x'.repeat(600)}`,
  });
  const CHUNK = 5 * 1024 * 1024;

  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  afterAll(() => s3.destroy());

  it('uploads more than one chunk of rejects as parts of one object, every line once and in order', async () => {
    const store = outputRejectStore(outputs, 'rejected/big.csv/e1/part-0001-aaaa.jsonl', CHUNK);
    const count = 20_000; // about 12.6 MB: two full parts and a last one
    for (let i = 1; i <= count; i++) await store.add(reject(i));
    expect(await store.finish()).toBe(`s3://${bucket}/rejected/big.csv/e1/part-0001-aaaa.jsonl`);
    const res = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: 'rejected/big.csv/e1/part-0001-aaaa.jsonl' }),
    );
    const lines = ((await res.Body?.transformToString('utf8')) ?? '').trimEnd().split('\n');
    expect(lines).toHaveLength(count);
    expect(lines.map((l) => (JSON.parse(l) as { line: number }).line)).toEqual(
      Array.from({ length: count }, (_, i) => i + 1),
    );
  }, 120_000);

  it('aborts the upload of a part that failed, so no incomplete upload is left', async () => {
    const key = 'rejected/failed.csv/e1/part-0001-bbbb.jsonl';
    const store = outputRejectStore(outputs, key, CHUNK);
    for (let i = 1; i <= 9_000; i++) await store.add(reject(i));
    const before = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
    expect(before.Uploads ?? []).toHaveLength(1);
    await store.abandon();
    const after = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
    expect(after.Uploads ?? []).toHaveLength(0);
  }, 120_000);

  it('keeps a gzip object\u2019s split texts as objects S3 accepts, each the exact text of its split', async () => {
    const row = (i: number) => `NextSong,"Sigur Rós","Hoppípolla\n${i}",${i},1,${i},9,Zoë,Ł`;
    const text = Buffer.from(
      `page,artist,song,length,sessionId,itemInSession,userId,firstName,lastName\n${Array.from({ length: 250_000 }, (_, i) => row(i)).join('\n')}\n`,
    );
    const texts = outputSplitTexts(outputs, (s) => s3SplitTextKey('in/big.csv.gz', 'e1', s + 1), CHUNK);
    const gz = gzipSync(text);
    const plan = await planSplits(
      (async function* () {
        for (let i = 0; i < gz.length; i += 65536) yield gz.subarray(i, i + 65536);
      })(),
      'big.csv.gz',
      // Some 6 MiB of text a split (GZIP_TEXT_PER_BYTE times this): above a multipart chunk.
      768 * 1024,
      texts,
    );
    expect(text.length).toBeGreaterThan(12 * 1024 * 1024);
    expect(plan.splits.length).toBeGreaterThanOrEqual(2);
    for (const s of plan.splits) {
      const key = s3SplitTextKey('in/big.csv.gz', 'e1', s.index + 1);
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const body = Buffer.from((await res.Body?.transformToByteArray()) ?? []);
      expect(body.equals(text.subarray(s.start.offset, s.end))).toBe(true);
    }
    const open = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'splits/' }));
    expect(open.Uploads ?? []).toHaveLength(0);
  }, 120_000);
});
