import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { TransientError } from '../../../lib/ingest/failures';
import { fileSource, MAX_RESUMES, s3Source } from '../../../lib/ingest/sources';
import { ObjectChangedError } from '../../../lib/ingest/types';

const object = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz'.repeat(100));
const never = new Promise<never>(() => undefined);

interface Behaviour {
  /** Each body breaks off after this many bytes: with `error`, or by stalling (no more bytes, ever). */
  cutAfter?: number;
  error?: Error;
  stall?: boolean;
  /** A ranged body with an end breaks off after its last byte (the connection dies as it ends). */
  cutAtEnd?: boolean;
  /** Answers a ranged GET with the whole object, as S3 does for a range it ignores. */
  ignoreRange?: boolean;
  /** How the service answers a GET instead of serving it. */
  answer?: (input: { Range?: string; IfMatch?: string }) => Error | undefined;
}

/** Serves `object` as S3 does, misbehaving as told. */
function fakeS3(b: Behaviour = {}) {
  const calls: { Range?: string; IfMatch?: string }[] = [];
  const client = {
    async send(command: { input: { Range?: string; IfMatch?: string } }) {
      const { Range, IfMatch } = command.input;
      calls.push({ Range, IfMatch });
      const refused = b.answer?.({ Range, IfMatch });
      if (refused) throw refused;
      const range = /bytes=(\d+)-(\d*)/.exec(Range ?? '');
      const from = Number(range?.[1] ?? 0);
      // An end in a Range is inclusive.
      const part = object.subarray(from, range?.[2] ? Number(range[2]) + 1 : undefined);
      async function* body() {
        for (let i = 0; i < part.length; i += 100) {
          if (b.cutAfter !== undefined && i >= b.cutAfter) {
            if (b.stall) await never;
            throw b.error ?? Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
          }
          yield part.subarray(i, i + 100);
        }
        if (b.cutAtEnd && !Range?.endsWith('-'))
          throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
      }
      if (b.ignoreRange) return { Body: Readable.from([object]), ETag: '"abc123"', VersionId: undefined };
      const last = from + part.length - 1;
      return {
        Body: Readable.from(body()),
        ETag: '"abc123"',
        VersionId: undefined,
        ...(Range ? { ContentRange: `bytes ${from}-${last}/${object.length}` } : {}),
      };
    },
  };
  return { client: client as unknown as S3Client, calls };
}

async function readAll(r: Readable, pauseMs = 0): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) {
    chunks.push(c as Buffer);
    if (pauseMs > 0 && chunks.length === 3) await new Promise((res) => setTimeout(res, pauseMs));
  }
  return Buffer.concat(chunks);
}

describe('s3Source', () => {
  it('resumes a cut-off download with a ranged GET pinned to the ETag, losing and repeating nothing', async () => {
    const { client, calls } = fakeS3({ cutAfter: 1000 });
    const resumed: number[] = [];
    const opened = await s3Source(client, 'b', 'k.csv', {
      stallMs: 5000,
      onResume: (offset) => resumed.push(offset),
    }).open();
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

  it('abandons a stalled download after stallMs and resumes it where it stopped', async () => {
    const { client, calls } = fakeS3({ cutAfter: 1500, stall: true });
    const resumed: number[] = [];
    const opened = await s3Source(client, 'b', 'k.csv', {
      stallMs: 50,
      onResume: (offset, err) => resumed.push(offset) && expect((err as Error).message).toMatch(/no bytes/),
    }).open();
    expect(await readAll(opened.body)).toEqual(object);
    expect(resumed).toEqual([1500, 3000]);
    expect(calls.map((c) => c.Range)).toEqual([undefined, 'bytes=1500-', 'bytes=3000-']);
  });

  it('tries a reopen that does not answer again, riding out a pause of the service', async () => {
    // The first body stalls after 1,000 bytes, then two reopens get no answer before one does.
    let refusals = 2;
    const { client, calls } = fakeS3({
      cutAfter: 1000,
      stall: true,
      answer: ({ Range }) =>
        Range && refusals-- > 0
          ? Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
          : undefined,
    });
    const resumed: number[] = [];
    const opened = await s3Source(client, 'b', 'k.csv', {
      stallMs: 50,
      onResume: (o) => resumed.push(o),
    }).open();
    const got = await readAll(opened.body).catch((err: unknown) => err);
    expect(Buffer.isBuffer(got) ? got.subarray(0, 1000) : got).toEqual(object.subarray(0, 1000));
    expect(resumed.slice(0, 3)).toEqual([1000, 1000, 1000]);
    expect(calls.slice(0, 4).map((c) => c.Range)).toEqual([
      undefined,
      'bytes=1000-',
      'bytes=1000-',
      'bytes=1000-',
    ]);
  });

  it('does not count a pause of the reader (backpressure) as a stall', async () => {
    const { client, calls } = fakeS3();
    const opened = await s3Source(client, 'b', 'k.csv', { stallMs: 30 }).open();
    expect(await readAll(opened.body, 200)).toEqual(object);
    expect(calls).toHaveLength(1);
  });

  it(`gives up after ${MAX_RESUMES} resumes in a row that bring no byte, with an error that says so`, async () => {
    // Cut at once every time: no resume gets anywhere.
    const { client, calls } = fakeS3({ cutAfter: 0 });
    const opened = await s3Source(client, 'b', 'k.csv', { stallMs: 5000 }).open();
    await expect(readAll(opened.body)).rejects.toThrow(
      `the download broke off or stalled ${MAX_RESUMES + 1} times in a row without a byte between`,
    );
    expect(calls).toHaveLength(MAX_RESUMES + 1);
  });

  it('keeps resuming a download that is cut often but moves on between cuts', async () => {
    // 100 bytes per connection: 35 cuts for this object, far more than MAX_RESUMES.
    const { client, calls } = fakeS3({ cutAfter: 100 });
    const opened = await s3Source(client, 'b', 'k.csv', { stallMs: 5000 }).open();
    expect(await readAll(opened.body)).toEqual(object);
    expect(calls.length).toBeGreaterThan(MAX_RESUMES * 3);
  });

  it('does not resume other errors', async () => {
    const { client, calls } = fakeS3({ cutAfter: 500, error: new Error('NoSuchKey') });
    const opened = await s3Source(client, 'b', 'k.csv', { stallMs: 5000 }).open();
    await expect(readAll(opened.body)).rejects.toThrow('NoSuchKey');
    expect(calls).toHaveLength(1);
  });

  it('opens a version at an offset with a ranged GET pinned to its ETag', async () => {
    const { client, calls } = fakeS3();
    const opened = await s3Source(client, 'b', 'k.csv', { stallMs: 5000 }).openAt(
      { etag: 'abc123', versionId: undefined },
      2500,
    );
    expect(await readAll(opened.body)).toEqual(object.subarray(2500));
    expect(calls).toEqual([{ Range: 'bytes=2500-', IfMatch: '"abc123"' }]);
  });

  it('reads a split\u2019s range of a version, resuming a cut-off download within the same range', async () => {
    const { client, calls } = fakeS3({ cutAfter: 200 });
    const opened = await s3Source(client, 'b', 'k.csv', { stallMs: 5000 }).openAt(
      { etag: 'abc123', versionId: undefined },
      1000,
      1500,
    );
    expect(await readAll(opened.body)).toEqual(object.subarray(1000, 1500));
    expect(calls.map((c) => c.Range)).toEqual(['bytes=1000-1499', 'bytes=1200-1499', 'bytes=1400-1499']);
    expect(calls.every((c) => c.IfMatch === '"abc123"')).toBe(true);
    // An empty range asks S3 for nothing.
    const none = await s3Source(client, 'b', 'k.csv', { stallMs: 5000 }).openAt(
      { etag: 'abc123', versionId: undefined },
      700,
      700,
    );
    expect((await readAll(none.body)).length).toBe(0);
    expect(calls).toHaveLength(3);
  });

  it('never takes a whole object for a range, nor asks again for a range already read', async () => {
    const ignoring = fakeS3({ ignoreRange: true });
    await expect(
      s3Source(ignoring.client, 'b', 'k.csv', { stallMs: 5000 }).openAt(
        { etag: 'abc123', versionId: undefined },
        1000,
        1500,
      ),
    ).rejects.toThrow(/asked for bytes=1000-1499, answered the whole object/);
    // Cut off right after the range's last byte: done, with no GET for an empty (reversed) range.
    const { client, calls } = fakeS3({ cutAtEnd: true });
    const opened = await s3Source(client, 'b', 'k.csv', { stallMs: 5000 }).openAt(
      { etag: 'abc123', versionId: undefined },
      1000,
      1500,
    );
    expect(await readAll(opened.body)).toEqual(object.subarray(1000, 1500));
    expect(calls.map((c) => c.Range)).toEqual(['bytes=1000-1499']);
  });

  it('says the object changed when the ETag no longer matches (412)', async () => {
    const { client } = fakeS3({
      answer: () =>
        Object.assign(new Error('At least one precondition failed'), { name: 'PreconditionFailed' }),
    });
    const source = s3Source(client, 'b', 'k.csv', { stallMs: 5000 });
    await expect(source.openAt({ etag: 'old', versionId: undefined }, 10)).rejects.toBeInstanceOf(
      ObjectChangedError,
    );
  });

  it('says the version is gone when the object was deleted (404), and fails an unpinned read as transient', async () => {
    const { client } = fakeS3({
      answer: () => Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' }),
    });
    const source = s3Source(client, 'b', 'k.csv', { stallMs: 5000 });
    await expect(source.openAt({ etag: 'old', versionId: undefined }, 0)).rejects.toBeInstanceOf(
      ObjectChangedError,
    );
    await expect(source.open()).rejects.toBeInstanceOf(TransientError);
  });

  it('fails a read that breaks off for good as transient, never as a bug', async () => {
    const { client } = fakeS3({
      cutAfter: 0,
      error: Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
    });
    const opened = await s3Source(client, 'b', 'k.csv', { stallMs: 5000 }).open();
    await expect(readAll(opened.body)).rejects.toBeInstanceOf(TransientError);
  });

  it('reads nothing from a checkpoint at the very end of the object (416)', async () => {
    const { client } = fakeS3({
      answer: () => Object.assign(new Error('Range Not Satisfiable'), { name: 'InvalidRange' }),
    });
    const opened = await s3Source(client, 'b', 'k.csv', { stallMs: 5000 }).openAt(
      { etag: 'abc123', versionId: undefined },
      object.length,
    );
    expect((await readAll(opened.body)).length).toBe(0);
  });
});

describe('fileSource', () => {
  it('reads a version from an offset, and a split\u2019s range of it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tracklog-source-'));
    const path = join(dir, 'day.csv');
    writeFileSync(path, object);
    const source = fileSource(path);
    const { etag, versionId, body } = await source.open();
    expect(await readAll(body)).toEqual(object);
    expect(await readAll((await source.openAt({ etag, versionId }, 3000)).body)).toEqual(
      object.subarray(3000),
    );
    expect(await readAll((await source.openAt({ etag, versionId }, 10, 1010)).body)).toEqual(
      object.subarray(10, 1010),
    );
    expect((await readAll((await source.openAt({ etag, versionId }, 10, 10)).body)).length).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });
});
