import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileRejectStore, s3RejectsKey } from '../../../lib/ingest/reject-store';

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
  });

  it('writes nothing when there were no rejects, and removes a stale file from an earlier version', async () => {
    const path = join(dir, 'clean.csv.rejected.jsonl');
    writeFileSync(path, '{"line":1}\n');
    expect(await fileRejectStore(path).finish()).toBeUndefined();
    expect(existsSync(path)).toBe(false);
  });
});

describe('s3RejectsKey', () => {
  it('keeps the original key under the rejects prefix', () => {
    expect(s3RejectsKey('rejected/', 'raw/2018-11-01-events.csv')).toBe(
      'rejected/raw/2018-11-01-events.csv.jsonl',
    );
  });
});
