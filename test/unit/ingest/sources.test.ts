import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { MAX_RESUMES, s3Source } from '../../../lib/ingest/sources';

const object = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz'.repeat(100));

/** Serves `object`; each response body breaks off after `cutAfter` bytes with a dropped connection. */
function fakeS3(
  cutAfter: number,
  error: Error = Object.assign(new Error('aborted'), { code: 'ECONNRESET' }),
) {
  const calls: { Range?: string; IfMatch?: string }[] = [];
  const client = {
    async send(command: { input: { Range?: string; IfMatch?: string } }) {
      calls.push({ Range: command.input.Range, IfMatch: command.input.IfMatch });
      const from = Number(/bytes=(\d+)-/.exec(command.input.Range ?? '')?.[1] ?? 0);
      const part = object.subarray(from);
      async function* body() {
        for (let i = 0; i < part.length; i += 100) {
          if (i >= cutAfter) throw error;
          yield part.subarray(i, i + 100);
        }
      }
      return { Body: Readable.from(body()), ETag: '"abc123"', VersionId: undefined };
    },
  };
  return { client: client as unknown as S3Client, calls };
}

async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('s3Source', () => {
  it('resumes a cut-off download with a ranged GET pinned to the ETag, losing and repeating nothing', async () => {
    const { client, calls } = fakeS3(1000);
    const resumed: number[] = [];
    const opened = await s3Source(client, 'b', 'k.csv', (offset) => resumed.push(offset)).open();
    expect(await readAll(opened.body)).toEqual(object);
    expect(opened.etag).toBe('abc123');
    expect(resumed).toEqual([1000, 2000, 3000]);
    expect(calls).toEqual([
      { Range: undefined, IfMatch: undefined },
      { Range: 'bytes=1000-', IfMatch: '"abc123"' },
      { Range: 'bytes=2000-', IfMatch: '"abc123"' },
      { Range: 'bytes=3000-', IfMatch: '"abc123"' },
    ]);
  });

  it(`gives up after ${MAX_RESUMES} resumes`, async () => {
    const { client } = fakeS3(100);
    const opened = await s3Source(client, 'b', 'k.csv').open();
    await expect(readAll(opened.body)).rejects.toThrow('aborted');
  });

  it('does not resume other errors', async () => {
    const { client, calls } = fakeS3(500, new Error('NoSuchKey'));
    const opened = await s3Source(client, 'b', 'k.csv').open();
    await expect(readAll(opened.body)).rejects.toThrow('NoSuchKey');
    expect(calls).toHaveLength(1);
  });
});
