import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TransientError } from '../../../lib/ingest/failures';
import { fileRejectStore, outputRejectStore } from '../../../lib/ingest/reject-store';
import type { Reject } from '../../../lib/ingest/types';
import { memoryOutputs } from '../../support/memory-outputs';

const reject = (line: number, raw = 'Ghost,,'): Reject => ({
  line,
  reason: 'userId is missing',
  record: undefined,
  raw,
});

describe('fileRejectStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rejects-'));

  it('writes one JSON line per reject with line, reason, record and original text', async () => {
    const path = join(dir, 'day.csv.rejected.jsonl');
    const sink = fileRejectStore(path);
    await sink.add({
      line: 9,
      reason: 'userId is missing',
      record: { artist: 'Ghost', userId: '' },
      raw: 'Ghost,,',
    });
    await sink.add({ line: 13, reason: 'expected 17 fields', record: undefined, raw: 'Short,Row' });
    expect(await sink.finish()).toBe(path);
    const lines = readFileSync(path, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { line: 9, reason: 'userId is missing', record: { artist: 'Ghost', userId: '' }, raw: 'Ghost,,' },
      { line: 13, reason: 'expected 17 fields', raw: 'Short,Row' },
    ]);
    expect(existsSync(`${path}.partial`)).toBe(false);
  });

  it('writes a chunk out whenever one is full, so what it holds stays under a chunk', async () => {
    const path = join(dir, 'many.csv.rejected.jsonl');
    const sink = fileRejectStore(path, 1024);
    for (let i = 0; i < 500; i++) await sink.add(reject(i + 2, 'x'.repeat(40)));
    // Before finish, all but the last part-chunk is already on disk.
    expect(readFileSync(`${path}.partial`).length).toBeGreaterThan(500 * 80 - 1024);
    await sink.finish();
    expect(readFileSync(path, 'utf8').trimEnd().split('\n')).toHaveLength(500);
  });

  it('writes nothing when there were no rejects, and removes a stale file from an earlier version', async () => {
    const path = join(dir, 'clean.csv.rejected.jsonl');
    writeFileSync(path, '{"line":1}\n');
    expect(await fileRejectStore(path).finish()).toBeUndefined();
    expect(existsSync(path)).toBe(false);
  });

  it('fails a full disk as a transient error, never as an unhandled error event that kills the process', async () => {
    const path = join(dir, 'full.csv.rejected.jsonl');
    // Every write to /dev/full fails with ENOSPC, as a full /tmp would.
    symlinkSync('/dev/full', `${path}.partial`);
    const sink = fileRejectStore(path, 256);
    let thrown: unknown;
    for (let i = 0; i < 100 && thrown === undefined; i++) {
      await sink.add(reject(i)).catch((err: unknown) => {
        thrown = err;
      });
    }
    expect(thrown).toBeInstanceOf(TransientError);
    expect(String((thrown as Error).message)).toMatch(/ENOSPC/);
    await sink.abandon();
  });

  it('discards a failed part’s file when abandoned', async () => {
    const path = join(dir, 'failed.csv.rejected.jsonl');
    const sink = fileRejectStore(path, 100);
    for (let i = 0; i < 20; i++) await sink.add(reject(i));
    expect(existsSync(`${path}.partial`)).toBe(true);
    await sink.abandon();
    expect(existsSync(`${path}.partial`)).toBe(false);
    expect(existsSync(path)).toBe(false);
  });
});

describe('outputRejectStore', () => {
  it('stores a part with few rejects as one object', async () => {
    const { outputs, calls, objects } = memoryOutputs();
    const store = outputRejectStore(outputs, 'rejected/k.csv/e1/part-0001-abcd.jsonl');
    await store.add(reject(2));
    await store.add(reject(5));
    expect(await store.finish()).toBe('s3://outputs/rejected/k.csv/e1/part-0001-abcd.jsonl');
    expect(calls).toEqual(['put rejected/k.csv/e1/part-0001-abcd.jsonl']);
    expect(
      objects.get('rejected/k.csv/e1/part-0001-abcd.jsonl')?.toString().trimEnd().split('\n'),
    ).toHaveLength(2);
  });

  it('streams many rejects as a multipart upload, a full chunk at a time, and stores nothing for none', async () => {
    const { outputs, calls, objects } = memoryOutputs();
    const store = outputRejectStore(outputs, 'r.jsonl', 1000);
    for (let i = 0; i < 100; i++) await store.add(reject(i, 'y'.repeat(50)));
    await store.finish();
    expect(calls[0]).toBe('start r.jsonl');
    expect(calls.at(-1)).toBe('complete');
    const parts = calls.filter((c) => c.startsWith('part'));
    expect(parts.length).toBeGreaterThan(5);
    for (const p of parts.slice(0, -1))
      expect(Number(/\((\d+) bytes\)/.exec(p)?.[1])).toBeGreaterThanOrEqual(1000);
    const lines = objects.get('r.jsonl')?.toString().trimEnd().split('\n') ?? [];
    expect(lines.map((l) => (JSON.parse(l) as Reject).line)).toEqual(
      Array.from({ length: 100 }, (_, i) => i),
    );

    const empty = memoryOutputs();
    expect(await outputRejectStore(empty.outputs, 'none.jsonl').finish()).toBeUndefined();
    expect(empty.calls).toEqual([]);
  });

  it('fails the part when a chunk cannot be uploaded, and aborts the upload when abandoned', async () => {
    const { outputs, calls } = memoryOutputs({ failPart: 2 });
    const store = outputRejectStore(outputs, 'r.jsonl', 200);
    let thrown: unknown;
    for (let i = 0; i < 50 && thrown === undefined; i++)
      await store.add(reject(i)).catch((err: unknown) => (thrown = err));
    expect(thrown).toBeInstanceOf(TransientError);
    await store.abandon();
    expect(calls.at(-1)).toBe('abort');
  });
});
