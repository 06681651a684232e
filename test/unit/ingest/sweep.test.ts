import type { OpenIngest } from '../../../lib/cassandra/model';
import { objectsInSqsBody } from '../../../lib/ingest/notifications';
import type { OpenIngests } from '../../../lib/ingest/open-ingests';
import type { OutputStore } from '../../../lib/ingest/output-store';
import { newLedgerEntry } from '../../../lib/ingest/report';
import { MAX_SWEEP_RESUMES, sweep } from '../../../lib/ingest/sweep';
import { ManualClock } from '../../support/memory-ledger';
import { memoryLedger, quietLog } from './fakes';

const LEASE = 60_000;
const source = (name: string) => `s3://raw/incoming/${name}.csv`;

function world() {
  const clock = new ManualClock();
  const { ledger, store } = memoryLedger(clock);
  const index: OpenIngest[] = [];
  const open: OpenIngests = {
    add: async (o) => void index.push({ ...o }),
    list: async (day) => index.filter((o) => o.day === day),
    remove: async (o) => {
      const i = index.findIndex(
        (x) => x.source === o.source && x.etag === o.etag && x.filedAt.getTime() === o.filedAt.getTime(),
      );
      if (i >= 0) index.splice(i, 1);
    },
  };
  const sent: string[] = [];
  const deadLetters: { body: string; reason: string; report: string | undefined }[] = [];
  const puts = new Map<string, string>();
  const outputs: OutputStore = {
    location: (k) => `s3://outputs/${k}`,
    put: async (k, body) => void puts.set(k, String(body)),
    startUpload: async () => {
      throw new Error('not used');
    },
    remove: async () => {
      throw new Error('not used');
    },
  };
  const run = () =>
    sweep({
      ledger,
      open,
      queue: {
        send: async (body) => void sent.push(body),
        deadLetter: async (body, reason, report) => {
          deadLetters.push({ body, reason, report });
          return true;
        },
      },
      outputs: () => outputs,
      reportsPrefix: 'reports/',
      clock,
      log: quietLog,
      leaseMs: LEASE,
    });
  /** A version whose first part was recorded, its lease let go, and then nothing: quiet from now. */
  const stalled = async (name: string) => {
    const claim = await ledger.claim(
      newLedgerEntry(source(name), { etag: 'e1', versionId: undefined }, new Date(clock.now())),
      'gone',
      LEASE,
    );
    if (claim.kind !== 'claimed') throw new Error('expected a claim');
    await ledger.write(
      {
        ...claim.entry,
        parts: 1,
        resumeOffset: 50,
        resumeLine: 3,
        leaseOwner: undefined,
        leaseUntil: undefined,
      },
      'gone',
    );
    await open.add({ day: '2026-12-01', source: source(name), etag: 'e1', filedAt: new Date(clock.now()) });
  };
  return { clock, store, index, open, sent, deadLetters, puts, run, stalled };
}

describe('sweep', () => {
  it('leaves a version alone until it has been quiet for two leases, then resumes it once however often it is filed', async () => {
    const w = world();
    await w.stalled('a');
    // Filed twice (two deliveries of its notification).
    await w.open.add({
      day: '2026-12-01',
      source: source('a'),
      etag: 'e1',
      filedAt: new Date(w.clock.now() + 1),
    });
    w.clock.advance(2 * LEASE - 1);
    expect((await w.run()).resumed).toEqual([]);
    w.clock.advance(2);
    const result = await w.run();
    expect(result).toMatchObject({ looked: 1, resumed: [{ source: source('a'), etag: 'e1', part: 2 }] });
    expect(w.sent.map((b) => objectsInSqsBody(b)[0]?.continuation)).toEqual([
      { etag: 'e1', versionId: undefined, part: 2 },
    ]);
    // Noted in the ledger (which restarts its quiet time), and filed again under today.
    expect(w.store.row(source('a'), 'e1')?.sweepResumes).toBe(1);
    expect(w.index.filter((o) => o.day === '2026-12-01')).toHaveLength(3);
    expect((await w.run()).resumed).toEqual([]);
  });

  it(`ends a version failed, with its report and a dead letter, once ${MAX_SWEEP_RESUMES} resumes got it nowhere`, async () => {
    const w = world();
    await w.stalled('hopeless');
    for (let i = 0; i < MAX_SWEEP_RESUMES; i++) {
      w.clock.advance(2 * LEASE + 1);
      expect((await w.run()).resumed).toHaveLength(1);
    }
    w.clock.advance(2 * LEASE + 1);
    const result = await w.run();
    expect(result).toMatchObject({ resumed: [], gaveUp: [{ source: source('hopeless'), etag: 'e1' }] });
    expect(w.store.row(source('hopeless'), 'e1')).toMatchObject({ status: 'failed', failure: 'transient' });
    expect(JSON.parse(w.puts.get('reports/incoming/hopeless.csv/e1.json') ?? '{}')).toMatchObject({
      status: 'failed',
      parts: 1,
    });
    expect(w.deadLetters.map((d) => d.reason)).toEqual([
      expect.stringMatching(/resumed 3 times by the sweep and never got past part 2/),
    ]);
    // Ended, it leaves the index at the next sweep.
    w.clock.advance(2 * LEASE + 1);
    expect((await w.run()).ended).toBe(1);
    expect(w.index).toEqual([]);
  });

  it('counts resumes only since the last recorded part', async () => {
    const w = world();
    await w.stalled('slow');
    w.clock.advance(2 * LEASE + 1);
    await w.run();
    // The resumed delivery records part 2: progress, so the count starts again.
    const row = w.store.row(source('slow'), 'e1');
    if (!row) throw new Error('no row');
    await w.store.update(
      { ...row, parts: 2, resumeOffset: 90, sweepResumes: undefined, revision: (row.revision ?? 0) + 1 },
      ['parts', 'resumeOffset', 'sweepResumes', 'revision'],
      { revision: row.revision },
    );
    w.clock.advance(2 * LEASE + 1);
    expect((await w.run()).resumed).toEqual([{ source: source('slow'), etag: 'e1', part: 3 }]);
    expect(w.store.row(source('slow'), 'e1')?.sweepResumes).toBe(1);
  });
});
