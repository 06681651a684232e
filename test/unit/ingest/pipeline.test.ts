import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { TransientError } from '../../../lib/ingest/failures';
import { type IngestDeps, type IngestRequest, ingestObject } from '../../../lib/ingest/pipeline';
import { type IngestReport, newLedgerEntry } from '../../../lib/ingest/report';
import type { ObjectSource } from '../../../lib/ingest/types';
import type { MemoryLedgerStore } from '../../support/memory-ledger';
import { QUIRKS_REJECTS, quirks } from '../../support/quirks';
import { bufferSource, FakeRejectStores, FakeSink, memoryLedger, quietLog, statusHistory } from './fakes';

const HEADER =
  'artist,auth,firstName,gender,itemInSession,lastName,length,level,location,method,page,registration,sessionId,song,status,ts,userId';

type Deps = IngestDeps & {
  sink: FakeSink;
  store: MemoryLedgerStore;
  ledgerState: { unavailable: boolean };
  stores: FakeRejectStores;
};

function deps(capacity = 8, owner = 'owner-1'): Deps {
  const stores = new FakeRejectStores();
  const { ledger, store, state } = memoryLedger();
  return {
    sink: new FakeSink(capacity),
    ledger,
    store,
    ledgerState: state,
    stores,
    rejects: stores.forPart,
    log: quietLog,
    owner,
    leaseMs: 60_000,
  };
}

function playRow(i: number): string {
  return `Artist ${i},Logged In,Ann,F,${i},Lee,100.5,free,"City, ST",PUT,NextSong,1.54E+12,7,Song ${i},200,1.54E+12,3`;
}

/** Parts until done, as the CLI and the queue's continuations do; every part stops after one batch. */
async function inParts(source: ObjectSource, d: Deps, request: IngestRequest = {}): Promise<IngestReport[]> {
  const reports: IngestReport[] = [];
  let continuation: IngestRequest['continuation'];
  for (;;) {
    // A sink belongs to one part (its counts are the part's); the ledger and rejects are shared.
    d.sink = new FakeSink(8);
    const report = await ingestObject(source, d, {
      stopReadingAt: 0,
      ...request,
      ...(continuation ? { continuation } : {}),
    });
    reports.push(report);
    if (report.status !== 'in_progress' || !report.checkpoint) return reports;
    continuation = { etag: report.etag ?? '', versionId: report.versionId, part: report.checkpoint.part };
  }
}

describe('ingestObject', () => {
  it('accounts for every record of the quirks fixture: written, skipped or rejected with a reason', async () => {
    const d = deps();
    const report = await ingestObject(bufferSource('2018-11-01-events.csv', quirks), d);

    expect(report).toMatchObject({
      status: 'completed',
      format: 'csv',
      compressed: false,
      parts: 1,
      rowsRead: 14,
      rowsWritten: 6,
      rowsSkipped: 2,
      rowsRejected: 6,
      etag: 'etag-1',
      rejectsLocations: ['memory://rejects.jsonl'],
      part: { number: 1, rowsRead: 14, rowsFailed: 0 },
      checkpoint: undefined,
    });
    expect(report.rowsRead).toBe(report.rowsWritten + report.rowsSkipped + report.rowsRejected);
    expect(d.stores.rejects.map((r) => [r.line, r.reason])).toEqual(QUIRKS_REJECTS);
    expect(d.stores.rejects[0]?.raw).toBe(
      'Ghost,Logged Out,,,1,,200.0,free,,PUT,NextSong,,90420,Haunted,200,1.54111E+12,',
    );
    expect(d.stores.rejects[0]?.record).toMatchObject({ artist: 'Ghost', song: 'Haunted', userId: '' });
    expect(d.sink.plays.map((p) => `${p.sessionId}/${p.itemInSession}`).sort()).toEqual(
      ['90139/1', '90139/2', '90140/0', '90139/4', '90139/10', '90038/1'].sort(),
    );
    expect(statusHistory(d.store, 's3://bucket/2018-11-01-events.csv', 'etag-1')).toEqual([
      'in_progress',
      'completed',
    ]);
    expect(d.store.row('s3://bucket/2018-11-01-events.csv', 'etag-1')).toMatchObject({
      status: 'completed',
      parts: 1,
      rowsRead: 14,
      rowsWritten: 6,
      error: undefined,
      leaseOwner: undefined,
    });
  });

  it('reports an object version that already completed as a duplicate and writes nothing', async () => {
    const d = deps();
    await ingestObject(bufferSource('a.csv', quirks), d);
    const writesBefore = d.sink.plays.length;

    const again = await ingestObject(bufferSource('a.csv', quirks), d);

    expect(again).toMatchObject({
      status: 'duplicate',
      parts: 0,
      rowsRead: 0,
      rowsWritten: 0,
      rowsSkipped: 0,
      rowsRejected: 0,
      rejectsLocations: [],
      part: undefined,
      previous: {
        format: 'csv',
        parts: 1,
        rowsRead: 14,
        rowsWritten: 6,
        rowsSkipped: 2,
        rowsRejected: 6,
        rejectsLocations: ['memory://rejects.jsonl'],
      },
    });
    expect(Date.parse(again.previous?.finishedAt ?? '')).toBeGreaterThanOrEqual(
      Date.parse(again.previous?.startedAt ?? ''),
    );
    expect(d.sink.plays.length).toBe(writesBefore);
    expect(statusHistory(d.store, 's3://bucket/a.csv', 'etag-1')).toEqual(['in_progress', 'completed']);
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
    const again = { ...deps(), ledger: d.ledger, store: d.store };
    const second = await ingestObject(bufferSource('a.csv', quirks, 'v2'), again);
    expect(second).toMatchObject({ status: 'completed', rowsWritten: 6 });
    expect(again.sink.plays).toHaveLength(6);
  });

  it('fails loudly when writes keep failing: a failed report, the version left to its retry, reading stopped', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => playRow(i));
    const d = deps(4);
    d.sink.failAt = 100;

    const report = await ingestObject(bufferSource('big.csv', `${HEADER}\n${rows.join('\n')}\n`), d);

    expect(report).toMatchObject({
      status: 'failed',
      failure: 'transient',
      error: 'writing plays: write timed out after 5 retries',
    });
    expect(report.part?.rowsFailed).toBeGreaterThan(0);
    expect(report.part?.rowsRead).toBeLessThan(5000);
    expect(report.part?.rowsWritten).toBe(99);
    // A failed part adds nothing to the object's totals: its retry counts it again from the checkpoint.
    expect(report.rowsWritten).toBe(0);
    // Not its last delivery: the version stays in progress, with why, for the retry to take.
    expect(statusHistory(d.store, 's3://bucket/big.csv', 'etag-1')).toEqual(['in_progress']);
    expect(d.store.row('s3://bucket/big.csv', 'etag-1')).toMatchObject({
      error: 'writing plays: write timed out after 5 retries',
      failure: 'transient',
      leaseOwner: undefined,
    });
  });

  it('ends the version as failed when a transient failure comes on its last delivery', async () => {
    const d = deps(4);
    d.sink.failAt = 1;
    const report = await ingestObject(bufferSource('last.csv', quirks), d, { lastDelivery: true });
    expect(report).toMatchObject({ status: 'failed', failure: 'transient' });
    expect(statusHistory(d.store, 's3://bucket/last.csv', 'etag-1')).toEqual(['in_progress', 'failed']);
  });

  it('fails an accounting mismatch as a defect, never as transient: the version ends failed', async () => {
    const d = deps();
    // A sink that loses count of one play it wrote: read != written + skipped + rejected.
    const sink = d.sink;
    Object.defineProperty(sink, 'written', { get: () => sink.plays.length - 1, set: () => undefined });
    const report = await ingestObject(bufferSource('miscount.csv', quirks), d);
    expect(report).toMatchObject({ status: 'failed', failure: 'defect', rowsWritten: 0 });
    expect(report.error).toMatch(
      /^accounting mismatch in part 1: read 14 != written 5 \+ skipped 2 \+ rejected 6/,
    );
    expect(d.store.row('s3://bucket/miscount.csv', 'etag-1')).toMatchObject({
      status: 'failed',
      failure: 'defect',
    });
    // Its rejects are not kept as if the part had counted.
    expect(d.stores.parts.get(1)?.abandoned).toBe(true);
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
      openAt: async () => {
        throw new Error('not resumed');
      },
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
    expect(producedWhileBlocked).toBeLessThan(total / 4);
    expect(report).toMatchObject({ status: 'completed', rowsRead: total, rowsWritten: total });
  }, 30_000);

  it('returns a failed report marked as an input failure, not an exception, for binary garbage', async () => {
    const d = deps();
    const garbage = Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 131) % 256));
    const report = await ingestObject(bufferSource('garbage.csv', garbage), d);
    expect(report).toMatchObject({ status: 'failed', failure: 'input' });
    expect(report.error).toMatch(/not UTF-8 text/);
    expect(statusHistory(d.store, 's3://bucket/garbage.csv', 'etag-1')).toEqual(['in_progress', 'failed']);
  });

  it('fails an empty object (input) and completes a header-only object with zero rows', async () => {
    expect(await ingestObject(bufferSource('empty.csv', ''), deps())).toMatchObject({
      status: 'failed',
      failure: 'input',
      error: 'the object is empty: no header and no events',
    });
    for (const body of [`${HEADER}\r\n`, HEADER]) {
      const report = await ingestObject(bufferSource(`header-${body.length}.csv`, body), deps());
      expect(report).toMatchObject({
        status: 'completed',
        rowsRead: 0,
        rowsWritten: 0,
        rejectsLocations: [],
      });
    }
  });

  it('fails when the object cannot be opened', async () => {
    const source: ObjectSource = {
      source: 's3://bucket/missing.csv',
      name: 'missing.csv',
      // As s3Source does, what S3 answers is a transient failure.
      open: async () => {
        throw new TransientError('cannot read the object: NoSuchKey');
      },
      openAt: async () => {
        throw new TransientError('cannot read the object: NoSuchKey');
      },
    };
    const report = await ingestObject(source, deps());
    expect(report).toMatchObject({
      status: 'failed',
      failure: 'transient',
      error: 'cannot read the object: NoSuchKey',
      rowsRead: 0,
    });
  });

  it('fails without writing when the ledger cannot be reached', async () => {
    const d = deps();
    d.ledgerState.unavailable = true;
    const report = await ingestObject(bufferSource('a.csv', quirks), d);
    expect(report).toMatchObject({ status: 'failed', failure: 'transient' });
    expect(report.error).toMatch(/^ingest ledger: claim: All host\(s\) tried for query failed/);
    expect(d.sink.plays).toHaveLength(0);
  });

  it('fails when the rejects cannot be stored, so none are silently lost', async () => {
    const d = deps();
    d.stores.failOnFinish = true;
    const report = await ingestObject(bufferSource('a.csv', quirks), d);
    expect(report).toMatchObject({
      status: 'failed',
      failure: 'transient',
      error: 'could not store the rejects: AccessDenied',
    });
    expect(d.store.row('s3://bucket/a.csv', 'etag-1')).toMatchObject({
      status: 'in_progress',
      error: 'could not store the rejects: AccessDenied',
    });
    expect(d.stores.parts.get(1)?.abandoned).toBe(true);
  });
});

describe('ingestObject in parts', () => {
  const rows = Array.from({ length: 300 }, (_, i) => (i % 7 === 3 ? `bad,${i}` : playRow(i)));
  const csv = `${HEADER}\r\n${rows.join('\r\n')}\r\n`;

  it('checkpoints at the deadline and sums every part into one outcome, rejects of each part kept', async () => {
    const d = deps();
    const source = bufferSource('parts.csv', csv, 'etag-1', 2000);
    const reports = await inParts(source, d);
    const final = reports.at(-1) as IngestReport;

    expect(reports.length).toBeGreaterThanOrEqual(4);
    expect(reports.slice(0, -1).every((r) => r.status === 'in_progress' && r.checkpoint !== undefined)).toBe(
      true,
    );
    expect(final).toMatchObject({ status: 'completed', parts: reports.length, rowsRead: 300 });
    expect(final.rowsRead).toBe(final.rowsWritten + final.rowsSkipped + final.rowsRejected);
    expect(final.rowsRejected).toBe(rows.filter((r) => r.startsWith('bad')).length);
    expect(final.rowsWritten).toBe(300 - final.rowsRejected);
    // The parts' own counts add up to the whole, and each part after the first resumed where the last stopped.
    expect(reports.reduce((n, r) => n + (r.part?.rowsRead ?? 0), 0)).toBe(300);
    const resumedAt = source.opened.slice(1);
    expect(resumedAt).toEqual(reports.slice(0, -1).map((r) => r.checkpoint?.offset));
    // Each part's rejects are kept in its own store, all of them listed in part order.
    const withRejects = reports.filter((r) => (r.part?.rowsRejected ?? 0) > 0);
    expect(withRejects.length).toBeGreaterThanOrEqual(3);
    expect(final.rejectsLocations).toEqual(withRejects.map((r) => r.part?.rejectsLocation));
    expect(final.rejectsLocations[1]).toMatch(/^memory:\/\/rejects\.part-000\d\.jsonl$/);
    expect(d.stores.rejects.map((r) => r.line)).toEqual(
      rows.flatMap((r, i) => (r.startsWith('bad') ? [i + 2] : [])),
    );
    expect(d.store.row('s3://bucket/parts.csv', 'etag-1')).toMatchObject({
      status: 'completed',
      parts: reports.length,
      resumeOffset: undefined,
      leaseOwner: undefined,
    });
  });

  it('resumes gzip from the decompressed offset, with the same outcome as plain input', async () => {
    const plain = (await inParts(bufferSource('p.csv', csv, 'e', 2000), deps())).at(-1);
    const gz = await inParts(bufferSource('p.csv.gz', gzipSync(csv), 'e', 500), deps());
    expect(gz.length).toBeGreaterThanOrEqual(2);
    expect(gz.at(-1)).toMatchObject({
      status: 'completed',
      compressed: true,
      rowsRead: plain?.rowsRead,
      rowsWritten: plain?.rowsWritten,
      rowsRejected: plain?.rowsRejected,
    });
  });

  it('redoes a failed part from its checkpoint, counting its rows once', async () => {
    const d = deps();
    const source = bufferSource('retry.csv', csv, 'etag-1', 2000);
    const first = await ingestObject(source, d, { stopReadingAt: 0 });
    expect(first.status).toBe('in_progress');
    const continuation = { etag: 'etag-1', versionId: undefined, part: 2 };
    d.sink = new FakeSink(8);
    d.sink.failAt = 3;
    const failed = await ingestObject(source, d, { continuation, stopReadingAt: 0 });
    expect(failed).toMatchObject({ status: 'failed', parts: 1, rowsRead: first.rowsRead });
    // The retry of the same continuation resumes at part 2's start and the rest follows.
    d.sink = new FakeSink(8);
    const rest = await inParts(source, d, { continuation });
    expect(rest.at(-1)).toMatchObject({ status: 'completed', rowsRead: 300 });
  });

  it('ignores a message whose part ran and whose continuation was sent; a duplicate completed object stays a duplicate', async () => {
    const d = deps();
    const source = bufferSource('stale.csv', csv, 'etag-1', 2000);
    await ingestObject(source, d, { stopReadingAt: 0 });
    const part2 = { etag: 'etag-1', versionId: undefined, part: 2 };
    d.sink = new FakeSink(8);
    await ingestObject(source, d, { continuation: part2, stopReadingAt: 0 });
    // Part 2 recorded its checkpoint and its continuation (part 3) went out.
    expect(await d.ledger.markContinued(source.source, 'etag-1', 3)).toBe(true);
    d.sink = new FakeSink(8);
    const again = await ingestObject(source, d, { continuation: part2, stopReadingAt: 0 });
    expect(again).toMatchObject({ status: 'ignored', part: undefined });
    expect(again.error).toMatch(/the continuation of part 3 was sent/);
    // The notification (part 1) is older still.
    expect((await ingestObject(source, d, { stopReadingAt: 0 })).status).toBe('ignored');
    expect(d.sink.plays).toHaveLength(0);
    const done = (await inParts(source, d, { continuation: { ...part2, part: 3 } })).at(-1);
    expect(done?.status).toBe('completed');
    const late = await ingestObject(source, d, { continuation: part2 });
    expect(late.status).toBe('duplicate');
  });

  it('resumes from the checkpoint when a recorded part is delivered again and its continuation may not have gone out', async () => {
    const d = deps();
    const source = bufferSource('lost.csv', csv, 'etag-1', 2000);
    const first = await ingestObject(source, d, { stopReadingAt: 0 });
    const part2 = { etag: 'etag-1', versionId: undefined, part: 2 };
    d.sink = new FakeSink(8);
    const second = await ingestObject(source, d, { continuation: part2, stopReadingAt: 0 });
    expect(second.status).toBe('in_progress');
    // Part 3's continuation could not be sent: part 2's message comes back, and carries on as part 3.
    d.sink = new FakeSink(8);
    const redelivered = await ingestObject(source, d, { continuation: part2, stopReadingAt: 0 });
    expect(redelivered).toMatchObject({
      status: 'in_progress',
      part: { number: 3, startOffset: second.checkpoint?.offset },
    });
    expect(redelivered.part?.rowsRead).toBeGreaterThan(0);
    const rest = await inParts(source, d, { continuation: { ...part2, part: 4 } });
    expect(rest.at(-1)).toMatchObject({ status: 'completed', rowsRead: 300 });
    expect(first.part?.number).toBe(1);
  });

  it('stops with a superseded report when the object was overwritten between parts', async () => {
    const d = deps();
    const source = bufferSource('over.csv', csv, 'etag-1', 2000);
    await ingestObject(source, d, { stopReadingAt: 0 });
    source.version.etag = 'etag-2';
    d.sink = new FakeSink(8);
    const report = await ingestObject(source, d, {
      continuation: { etag: 'etag-1', versionId: undefined, part: 2 },
    });
    expect(report).toMatchObject({ status: 'superseded', failure: undefined });
    expect(report.error).toMatch(/overwritten/);
    expect(d.store.row('s3://bucket/over.csv', 'etag-1')).toMatchObject({
      status: 'superseded',
      leaseOwner: undefined,
    });
  });
});

describe('the lease', () => {
  it('lets one of two deliveries at once ingest; the other reports in_progress and writes nothing', async () => {
    const { ledger } = memoryLedger();
    const a = { ...deps(4, 'a'), ledger };
    const b = { ...deps(4, 'b'), ledger };
    let release: () => void = () => undefined;
    a.sink.gate = new Promise<void>((r) => {
      release = r;
    });
    const first = ingestObject(bufferSource('same.csv', quirks), a);
    await new Promise((r) => setTimeout(r, 20));
    const second = await ingestObject(bufferSource('same.csv', quirks), b);
    release();
    expect(second).toMatchObject({ status: 'in_progress', part: undefined, checkpoint: undefined });
    expect(second.retryAfterSeconds).toBeGreaterThan(0);
    expect(b.sink.plays).toHaveLength(0);
    expect((await first).status).toBe('completed');
    expect((await ingestObject(bufferSource('same.csv', quirks), b)).status).toBe('duplicate');
  });

  it('is taken over once it has expired (its holder died), and the object completes exactly', async () => {
    const { ledger } = memoryLedger();
    // A holder that claimed the version for 1 ms and never came back.
    const claimed = await ledger.claim(
      newLedgerEntry('s3://bucket/died.csv', { etag: 'etag-1', versionId: undefined }, new Date()),
      'dead',
      1,
    );
    expect(claimed.kind).toBe('claimed');
    await new Promise((r) => setTimeout(r, 5));
    const next = { ...deps(8, 'next'), ledger };
    const report = await ingestObject(bufferSource('died.csv', quirks), next);
    expect(report).toMatchObject({ status: 'completed', rowsRead: 14, rowsWritten: 6 });
  });
});
