// Splits as versions (lib/ingest/splits.ts): the split etags, the rows a plan makes, and the one
// outcome the splits' rows add up to.
import type { LedgerEntry } from '../../../lib/cassandra/model';
import { REQUIRED_FIELDS } from '../../../lib/events/event';
import { newLedgerEntry } from '../../../lib/ingest/report';
import { planSplits } from '../../../lib/ingest/split-plan';
import { joinSplits, splitEtag, splitOf, splitRows } from '../../../lib/ingest/splits';
import { chunked } from '../../support/records';

const version = { source: 's3://raw/day.csv', etag: 'abc-2', versionId: undefined };
const t = (s: number) => new Date(Date.UTC(2026, 11, 6, 0, 0, s));

describe('split etags', () => {
  it('name the version and the split, and give them back', () => {
    expect(splitEtag('abc-2', 3)).toBe('abc-2/split-0003');
    expect(splitOf('abc-2/split-0003')).toEqual({ etag: 'abc-2', split: 3 });
    expect(splitOf('abc-2')).toBeUndefined();
    expect(() => splitOf('abc-2/split-x')).toThrow(/names no split/);
  });
});

describe('splitRows', () => {
  it('makes a row per split, in progress, resuming at its start and ending at its end', async () => {
    const rows30 = Array.from({ length: 30 }, (_, i) => `NextSong,A,"s\n${i}",1,1,${i},1,F,L`);
    const text = Buffer.from(`${REQUIRED_FIELDS.join(',')}\n${rows30.join('\n')}\n`);
    const plan = await planSplits(chunked(text, 50), 'day.csv', 100);
    const rows = splitRows(version, plan, t(0));
    expect(rows).toHaveLength(plan.splits.length);
    rows.forEach((r, i) => {
      const s = plan.splits[i];
      expect(r).toMatchObject({
        source: version.source,
        etag: splitEtag('abc-2', i + 1),
        status: 'in_progress',
        parts: 0,
        format: 'csv',
        compressed: false,
        resumeOffset: s?.start.offset,
        resumeLine: s?.start.line,
        splitEnd: s?.end,
      });
    });
    expect(rows[1]?.csvHeader).toBe(JSON.stringify(REQUIRED_FIELDS));
  });
});

describe('joinSplits', () => {
  const object: LedgerEntry = { ...newLedgerEntry(version.source, version, t(0)), splits: 3 };
  const split = (k: number, fields: Partial<LedgerEntry>): LedgerEntry => ({
    ...newLedgerEntry(version.source, { etag: splitEtag('abc-2', k), versionId: undefined }, t(k)),
    status: 'completed',
    parts: 1,
    rowsRead: 10 * k,
    rowsWritten: 8 * k,
    rowsSkipped: k,
    rowsRejected: 1,
    writeRetries: k - 1,
    rejectsLocations: [`s3://out/rejected/day.csv/abc-2/split-${k}.jsonl`],
    finishedAt: t(10 + k),
    ...fields,
  });

  it('waits while a split runs or has no row yet, counting the splits done', () => {
    expect(joinSplits(object, [split(1, {}), split(2, { status: 'in_progress' })])).toEqual({
      kind: 'running',
      done: 1,
      total: 3,
    });
  });

  it('completes with the totals of every split once all have, rejects in split order', () => {
    const join = joinSplits(object, [split(3, {}), split(1, {}), split(2, {})]);
    expect(join).toEqual({
      kind: 'ended',
      status: 'completed',
      totals: { parts: 3, rowsRead: 60, rowsWritten: 48, rowsSkipped: 6, rowsRejected: 3, writeRetries: 3 },
      rejectsLocations: [1, 2, 3].map((k) => `s3://out/rejected/day.csv/abc-2/split-${k}.jsonl`),
      startedAt: t(1),
      finishedAt: t(13),
    });
  });

  it('fails with the first failed split\u2019s error, and is superseded if any split found the object overwritten', () => {
    const failed = split(2, {
      status: 'failed',
      error: 'bad gzip',
      failure: 'input',
      errorClass: 'corrupt_gzip',
    });
    expect(joinSplits(object, [split(1, {}), failed, split(3, {})])).toMatchObject({
      kind: 'ended',
      status: 'failed',
      error: 'bad gzip',
      failure: 'input',
      errorClass: 'corrupt_gzip',
    });
    expect(joinSplits(object, [split(1, { status: 'superseded' }), failed, split(3, {})])).toMatchObject({
      kind: 'ended',
      status: 'superseded',
    });
  });

  it('ignores rows of another version, and refuses a version that was not split', () => {
    const other = { ...split(1, {}), etag: splitEtag('zzz-1', 1) };
    expect(joinSplits(object, [other, split(2, {}), split(3, {})])).toEqual({
      kind: 'running',
      done: 2,
      total: 3,
    });
    expect(() => joinSplits({ ...object, splits: undefined }, [])).toThrow(/has no splits/);
  });
});
