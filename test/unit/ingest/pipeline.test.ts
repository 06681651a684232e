import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type IngestDeps, ingestObject } from '../../../lib/ingest/pipeline';
import type { ObjectSource } from '../../../lib/ingest/types';
import { bufferSource, FakeLedger, FakeRejects, FakeSink, quietLog } from './fakes';

const quirks = readFileSync(join(__dirname, '..', '..', 'fixtures', 'quirks.csv'));
const HEADER =
  'artist,auth,firstName,gender,itemInSession,lastName,length,level,location,method,page,registration,sessionId,song,status,ts,userId';

function deps(capacity = 8): IngestDeps & { sink: FakeSink; ledger: FakeLedger; rejects: FakeRejects } {
  return {
    sink: new FakeSink(capacity),
    ledger: new FakeLedger(),
    rejects: new FakeRejects(),
    log: quietLog,
  };
}

function playRow(i: number): string {
  return `Artist ${i},Logged In,Ann,F,${i},Lee,100.5,free,"City, ST",PUT,NextSong,1.54E+12,7,Song ${i},200,1.54E+12,3`;
}

describe('ingestObject', () => {
  it('accounts for every record of the quirks fixture: written, skipped or rejected with a reason', async () => {
    const d = deps();
    const report = await ingestObject(bufferSource('2018-11-01-events.csv', quirks), d);

    expect(report).toMatchObject({
      status: 'completed',
      format: 'csv',
      compressed: false,
      rowsRead: 14,
      rowsWritten: 6,
      rowsSkipped: 2,
      rowsRejected: 6,
      rowsFailed: 0,
      etag: 'etag-1',
      rejectsLocation: 'memory://rejects.jsonl',
    });
    expect(report.rowsRead).toBe(report.rowsWritten + report.rowsSkipped + report.rowsRejected);
    expect(d.rejects.rejects.map((r) => [r.line, r.reason])).toEqual([
      [9, 'userId is missing'],
      [10, 'sessionId is not a number: "abc"'],
      [11, 'length is negative: "-5"'],
      [12, 'userId is outside the 32-bit int range: "3000000000"'],
      [13, 'expected 17 fields as in the header, found 7'],
      [14, 'artist is empty'],
    ]);
    expect(d.rejects.rejects[0]?.raw).toBe(
      'Ghost,Logged Out,,,1,,200.0,free,,PUT,NextSong,,90420,Haunted,200,1.54111E+12,',
    );
    expect(d.rejects.rejects[0]?.record).toMatchObject({ artist: 'Ghost', song: 'Haunted', userId: '' });
    expect(d.sink.plays.map((p) => `${p.sessionId}/${p.itemInSession}`).sort()).toEqual(
      ['90139/1', '90139/2', '90140/0', '90139/4', '90139/10', '90038/1'].sort(),
    );
    expect(d.ledger.history).toEqual(['running', 'completed']);
    expect(d.ledger.entries.get('s3://bucket/2018-11-01-events.csv|etag-1')).toMatchObject({
      status: 'completed',
      rowsRead: 14,
      rowsWritten: 6,
      error: undefined,
    });
  });

  it('reports an object version that already completed as a duplicate and writes nothing', async () => {
    const d = deps();
    await ingestObject(bufferSource('a.csv', quirks), d);
    const writesBefore = d.sink.plays.length;

    const again = await ingestObject(bufferSource('a.csv', quirks), d);

    expect(again).toMatchObject({
      status: 'duplicate',
      rowsRead: 0,
      rowsWritten: 0,
      rowsSkipped: 0,
      rowsRejected: 0,
      rejectsLocation: undefined,
      previous: {
        format: 'csv',
        rowsRead: 14,
        rowsWritten: 6,
        rowsSkipped: 2,
        rowsRejected: 6,
        rejectsLocation: 'memory://rejects.jsonl',
      },
    });
    expect(again.rowsRead).toBe(again.rowsWritten + again.rowsSkipped + again.rowsRejected);
    expect(Date.parse(again.previous?.finishedAt ?? '')).toBeGreaterThanOrEqual(
      Date.parse(again.previous?.startedAt ?? ''),
    );
    expect(d.sink.plays.length).toBe(writesBefore);
    expect(d.ledger.history).toEqual(['running', 'completed']);
  });

  it('adds nothing to summed counts when an object is delivered twice', async () => {
    const d = deps();
    const reports = [
      await ingestObject(bufferSource('a.csv', quirks), d),
      await ingestObject(bufferSource('a.csv', quirks), d),
    ];
    const written = reports.reduce((n, r) => n + r.rowsWritten, 0);
    expect(written).toBe(d.sink.plays.length);
    expect(reports.map((r) => r.previous === undefined)).toEqual([true, false]);
  });

  it('ingests a changed object (new etag) again', async () => {
    const d = deps();
    await ingestObject(bufferSource('a.csv', quirks, 'v1'), d);
    // A sink belongs to one object's ingest; the ledger is shared.
    const again = { ...deps(), ledger: d.ledger };
    const second = await ingestObject(bufferSource('a.csv', quirks, 'v2'), again);
    expect(second).toMatchObject({ status: 'completed', rowsWritten: 6 });
    expect(again.sink.plays).toHaveLength(6);
  });

  it('fails loudly when writes keep failing: a failed report, the ledger marked failed, reading stopped', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => playRow(i));
    const d = deps(4);
    d.sink.failAt = 100;

    const report = await ingestObject(bufferSource('big.csv', `${HEADER}\n${rows.join('\n')}\n`), d);

    expect(report.status).toBe('failed');
    expect(report.error).toBe('write timed out after 5 retries');
    expect(report.rowsFailed).toBeGreaterThan(0);
    expect(report.rowsRead).toBeLessThan(5000);
    expect(report.rowsWritten).toBe(99);
    expect(d.ledger.history).toEqual(['running', 'failed']);
    expect(d.ledger.entries.get('s3://bucket/big.csv|etag-1')?.error).toBe('write timed out after 5 retries');
  });

  it('stops reading while the sink has all it can take in flight', async () => {
    const total = 20_000;
    let produced = 0;
    async function* lines(): AsyncGenerator<Buffer> {
      yield Buffer.from(`${HEADER}\n`);
      for (let i = 0; i < total; i += 100) {
        const batch = Array.from({ length: 100 }, (_, j) => playRow(i + j)).join('\n');
        produced += 100;
        yield Buffer.from(`${batch}\n`);
      }
    }
    const source: ObjectSource = {
      source: 's3://bucket/stream.csv',
      name: 'stream.csv',
      open: async () => ({ body: Readable.from(lines()), etag: 'e', versionId: undefined }),
    };
    const d = deps(4);
    let open: () => void = () => undefined;
    d.sink.gate = new Promise<void>((resolve) => {
      open = resolve;
    });

    const running = ingestObject(source, d);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const producedWhileBlocked = produced;
    open();
    const report = await running;

    expect(d.sink.peak).toBe(4);
    // Only the stream buffers' worth was read ahead while every write was blocked.
    expect(producedWhileBlocked).toBeLessThan(total / 4);
    expect(report).toMatchObject({ status: 'completed', rowsRead: total, rowsWritten: total });
  });

  it('returns a failed report, not an exception, for binary garbage', async () => {
    const d = deps();
    const garbage = Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 131) % 256));
    const report = await ingestObject(bufferSource('garbage.csv', garbage), d);
    expect(report.status).toBe('failed');
    expect(report.error).toMatch(/not an event log header/);
    expect(d.ledger.history).toEqual(['running', 'failed']);
  });

  it('completes an empty object and a header-only object with zero rows', async () => {
    for (const body of ['', `${HEADER}\r\n`]) {
      const report = await ingestObject(bufferSource(`empty-${body.length}.csv`, body), deps());
      expect(report).toMatchObject({
        status: 'completed',
        rowsRead: 0,
        rowsWritten: 0,
        rejectsLocation: undefined,
      });
    }
  });

  it('fails when the object cannot be opened', async () => {
    const source: ObjectSource = {
      source: 's3://bucket/missing.csv',
      name: 'missing.csv',
      open: async () => {
        throw new Error('NoSuchKey');
      },
    };
    const report = await ingestObject(source, deps());
    expect(report).toMatchObject({
      status: 'failed',
      error: 'cannot read the object: NoSuchKey',
      rowsRead: 0,
    });
  });

  it('fails without writing when the ledger cannot be reached', async () => {
    const d = deps();
    d.ledger.unavailable = true;
    const report = await ingestObject(bufferSource('a.csv', quirks), d);
    expect(report).toMatchObject({
      status: 'failed',
      error: 'ingest ledger unavailable: NoHostAvailableError',
    });
    expect(d.sink.plays).toHaveLength(0);
  });

  it('fails when the rejects cannot be stored, so none are silently lost', async () => {
    const d = deps();
    d.rejects.failOnFinish = true;
    const report = await ingestObject(bufferSource('a.csv', quirks), d);
    expect(report).toMatchObject({ status: 'failed', error: 'could not store the rejects: AccessDenied' });
    expect(d.ledger.history).toEqual(['running', 'failed']);
  });
});
