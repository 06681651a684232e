import type { LedgerEntry } from '../../../lib/cassandra/model';
import { InvariantError, LeaseLostError } from '../../../lib/ingest/failures';
import {
  admit,
  assertTransition,
  joinsAfter,
  messageAction,
  reportEndsVersion,
  staleness,
  TRANSITIONS,
} from '../../../lib/ingest/lifecycle';
import type { OpenIngests } from '../../../lib/ingest/open-ingests';
import { buildReport, type IngestReport, newLedgerEntry } from '../../../lib/ingest/report';
import { ManualClock } from '../../support/memory-ledger';
import { memoryLedger, quietLog } from './fakes';

const SOURCE = 's3://raw/day.csv';
const entry = (fields: Partial<LedgerEntry>): LedgerEntry => ({
  ...newLedgerEntry(SOURCE, { etag: 'e1', versionId: undefined }, new Date('2026-12-01T00:00:00Z')),
  ...fields,
});

describe('TRANSITIONS', () => {
  it('lets an ended version move only when it is taken up again, and a completed one never', () => {
    expect(TRANSITIONS.completed).toEqual([]);
    expect(TRANSITIONS.superseded).toEqual(['in_progress']);
    expect(TRANSITIONS.failed).toEqual(['in_progress']);
    expect(() => assertTransition('completed', 'failed')).toThrow(InvariantError);
    expect(() => assertTransition('superseded', 'completed')).toThrow(InvariantError);
    expect(() => assertTransition('in_progress', 'completed')).not.toThrow();
    // A write that keeps the status (a release of an ended version's lease) is no move.
    expect(() => assertTransition('superseded', 'superseded')).not.toThrow();
  });
});

describe('staleness', () => {
  it.each([
    ['a notification of a version no part of which ran', { parts: 0 }, 1, false],
    ['the continuation of the next part', { parts: 2 }, 3, false],
    ['a recorded part whose continuation may not have gone out (resumes)', { parts: 2 }, 2, false],
    ['a recorded part whose continuation was sent', { parts: 2, continuedPart: 3 }, 2, true],
    [
      'a part two behind the ledger, whose last continuation was sent',
      { parts: 3, continuedPart: 4 },
      1,
      true,
    ],
    [
      'a part two behind the ledger, whose last continuation may be lost (resumes)',
      { parts: 3, continuedPart: 3 },
      1,
      false,
    ],
    ['a notification of a failed version (a redrive)', { parts: 4, status: 'failed' as const }, 1, false],
  ])('%s', (_name, fields, ask, stale) => {
    expect(staleness(entry(fields), ask) !== undefined).toBe(stale);
  });
});

describe('messageAction', () => {
  const report = (status: IngestReport['status'], fields: Partial<IngestReport> = {}) =>
    buildReport(SOURCE, status, { error: 'why', ...fields });

  it.each([
    ['completed', report('completed'), 1, { kind: 'ack' }],
    ['a duplicate', report('duplicate'), 1, { kind: 'ack' }],
    ['ignored', report('ignored'), 1, { kind: 'ack' }],
    ['superseded', report('superseded'), 1, { kind: 'ack' }],
    [
      'a checkpoint',
      report('in_progress', { checkpoint: { part: 3, offset: 9, line: 4 } }),
      1,
      { kind: 'continue', part: 3 },
    ],
    [
      'busy elsewhere',
      report('in_progress', { retryAfterSeconds: 120 }),
      2,
      { kind: 'retry', delaySeconds: 120, why: 'why' },
    ],
    [
      'busy elsewhere, on its last delivery',
      report('in_progress', { retryAfterSeconds: 120 }),
      5,
      { kind: 'requeue', delaySeconds: 120, why: 'why' },
    ],
    ['an input failure', report('failed', { failure: 'input' }), 1, { kind: 'dead-letter', why: 'why' }],
    ['a defect', report('failed', { failure: 'defect' }), 1, { kind: 'dead-letter', why: 'why' }],
    [
      'a transient failure',
      report('failed', { failure: 'transient' }),
      3,
      { kind: 'retry', delaySeconds: 20, why: 'why' },
    ],
    [
      'a transient failure on its last delivery',
      report('failed', { failure: 'transient' }),
      5,
      { kind: 'dead-letter', why: 'why' },
    ],
    [
      'a lost lease',
      report('failed', { failure: 'lease_lost' }),
      1,
      { kind: 'retry', delaySeconds: 5, why: 'why' },
    ],
    [
      'a lost lease on its last delivery',
      report('failed', { failure: 'lease_lost' }),
      5,
      { kind: 'requeue', delaySeconds: 80, why: 'why' },
    ],
  ])('%s', (_name, r, receives, action) => {
    expect(messageAction(r, receives)).toEqual(action);
  });

  it('fans a planned version out, and dead-letters a join that failed whatever the failure', () => {
    const fanOut = { splits: ['e/split-0001', 'e/split-0002'], revision: 4 };
    expect(messageAction(report('in_progress', { fanOut }), 1)).toEqual({ kind: 'fan-out', ...fanOut });
    const joined = report('failed', { failure: 'transient', splits: { done: 3, total: 4 } });
    expect(messageAction(joined, 1)).toEqual({ kind: 'dead-letter', why: 'a split failed: why' });
    // Not a join (no splits): a transient failure of the version's own delivery is retried.
    expect(messageAction(report('failed', { failure: 'transient' }), 1).kind).toBe('retry');
  });

  it('asks the version to join after a split ended, and only then', () => {
    const split = (status: IngestReport['status'], fields: Partial<IngestReport> = {}) =>
      report(status, { etag: 'e/split-0002', ...fields });
    const ack = { kind: 'ack' } as const;
    expect(joinsAfter(split('completed'), ack)).toBe(true);
    expect(joinsAfter(split('superseded'), ack)).toBe(true);
    expect(joinsAfter(split('duplicate'), ack)).toBe(true);
    expect(joinsAfter(split('failed', { failure: 'input' }), { kind: 'dead-letter', why: 'x' })).toBe(true);
    // A split failed for now (retried), in progress or ignored: its version has nothing to join yet.
    expect(joinsAfter(split('failed'), { kind: 'retry', delaySeconds: 5, why: 'x' })).toBe(false);
    expect(joinsAfter(split('in_progress'), ack)).toBe(false);
    expect(joinsAfter(split('ignored'), ack)).toBe(false);
    // A version's own delivery is no split's.
    expect(joinsAfter(report('completed', { etag: 'e' }), ack)).toBe(false);
  });

  it('stores the report of outcomes that end the version, and only those', () => {
    expect(reportEndsVersion(report('completed'), false)).toBe(true);
    expect(reportEndsVersion(report('superseded'), false)).toBe(true);
    expect(
      reportEndsVersion(report('in_progress', { checkpoint: { part: 2, offset: 1, line: 2 } }), false),
    ).toBe(false);
    expect(reportEndsVersion(report('failed', { failure: 'transient' }), false)).toBe(false);
    expect(reportEndsVersion(report('failed', { failure: 'transient' }), true)).toBe(true);
    expect(reportEndsVersion(report('failed', { failure: 'lease_lost' }), true)).toBe(false);
    expect(reportEndsVersion(report('duplicate'), true)).toBe(false);
  });
});

describe('admit and the lease', () => {
  function setup() {
    const clock = new ManualClock();
    const { ledger, store } = memoryLedger(clock);
    const filed: string[] = [];
    const open: OpenIngests = {
      add: async (o) => void filed.push(`${o.day} ${o.etag}`),
      list: async () => [],
      remove: async () => undefined,
    };
    const deps = (owner: string) => ({ ledger, open, owner, leaseMs: 60_000, clock, log: quietLog });
    return { clock, ledger, store, filed, deps };
  }

  it('files a notified version in the sweep’s index before it creates its ledger row', async () => {
    const { deps, filed, store } = setup();
    const admission = await admit(deps('a'), entry({}), 1);
    expect(admission.kind).toBe('work');
    expect(filed).toEqual(['2026-12-01 e1']);
    expect(store.row(SOURCE, 'e1')?.leaseOwner).toBe('a');
  });

  it('files a failed version again when a redriven message reopens it', async () => {
    const { deps, filed, store } = setup();
    const first = await admit(deps('a'), entry({}), 1);
    if (first.kind !== 'work') throw new Error('expected work');
    await first.lease.fail('not an event log', 'input', 'not_an_event_log', true);
    expect(store.row(SOURCE, 'e1')?.status).toBe('failed');
    const again = await admit(deps('b'), entry({}), 1);
    expect(again.kind).toBe('work');
    // The notification files it before its claim, and the reopening again (a continuation may reopen it too).
    expect(filed).toHaveLength(3);
    expect(store.row(SOURCE, 'e1')).toMatchObject({
      status: 'in_progress',
      error: undefined,
      failure: undefined,
    });
  });

  it('lets a continuation of a superseded version go, and takes the version up again for its notification', async () => {
    const { deps, store } = setup();
    const first = await admit(deps('a'), entry({}), 1);
    if (first.kind !== 'work') throw new Error('expected work');
    await first.lease.supersede(buildReport(SOURCE, 'superseded', { etag: 'e1' }));
    const continuation = await admit(deps('b'), entry({}), 2);
    expect(continuation.kind).toBe('superseded');
    expect(store.row(SOURCE, 'e1')).toMatchObject({ status: 'superseded', leaseOwner: undefined });
    // The same bytes uploaded again: its notification reads it, and it ends as the object says.
    const notification = await admit(deps('c'), entry({}), 1);
    expect(notification.kind).toBe('work');
    expect(store.row(SOURCE, 'e1')).toMatchObject({ status: 'in_progress', leaseOwner: 'c' });
  });

  it('does not judge stale the notification that took a superseded version up again (sim seed 4877)', async () => {
    const { deps, ledger, store } = setup();
    const a = await admit(deps('a'), entry({}), 1);
    if (a.kind !== 'work') throw new Error('expected work');
    const part1 = buildReport(SOURCE, 'in_progress', { etag: 'e1', parts: 1 });
    await a.lease.checkpoint(part1, { offset: 100, line: 5, header: undefined });
    const revision = store.row(SOURCE, 'e1')?.revision;
    expect(await ledger.markContinued(SOURCE, 'e1', 2, revision)).toBe(true);
    // Part 2's continuation finds the object overwritten; its notification comes back (a lost delete).
    const b = await admit(deps('b'), entry({}), 2);
    if (b.kind !== 'work') throw new Error('expected work');
    await b.lease.supersede(buildReport(SOURCE, 'superseded', { etag: 'e1', parts: 1 }));
    const c = await admit(deps('c'), entry({}), 1);
    if (c.kind !== 'work') throw new Error('expected work');
    // Continuation 2 is gone: the reopening forgets it, or this message, failing and delivered
    // again, would be let go as stale with nothing left to carry the version on.
    expect(store.row(SOURCE, 'e1')).toMatchObject({ status: 'in_progress', continuedPart: undefined });
    await c.lease.fail('S3 timed out', 'transient', 'storage_unavailable', false);
    expect((await admit(deps('d'), entry({}), 1)).kind).toBe('work');
  });

  it('lets the lease go when it cannot decide what to do with the version', async () => {
    const { deps, store } = setup();
    const first = await admit(deps('a'), entry({}), 1);
    if (first.kind !== 'work') throw new Error('expected work');
    await first.lease.fail('not an event log', 'input', 'not_an_event_log', true);
    // The index refuses the reopening's filing: the delivery fails, and leaves no lease behind.
    let adds = 0;
    const d = deps('b');
    const failing = {
      ...d,
      open: {
        ...d.open,
        add: async () => {
          if (++adds > 1) throw new Error('NoHostAvailable');
        },
      },
    };
    await expect(admit(failing, entry({}), 1)).rejects.toThrow(/NoHostAvailable/);
    expect(store.row(SOURCE, 'e1')).toMatchObject({ status: 'failed', leaseOwner: undefined });
  });

  it('says a lost lease, and refuses a checkpoint that does not move forward', async () => {
    const { deps, clock } = setup();
    const a = await admit(deps('a'), entry({}), 1);
    if (a.kind !== 'work') throw new Error('expected work');
    const report = buildReport(SOURCE, 'in_progress', { etag: 'e1', parts: 1 });
    await expect(a.lease.checkpoint(report, { offset: 0, line: 1, header: undefined })).rejects.toThrow(
      InvariantError,
    );
    clock.advance(60_001);
    const b = await admit(deps('b'), entry({}), 1);
    expect(b.kind).toBe('work');
    await expect(a.lease.checkpoint(report, { offset: 10, line: 2, header: undefined })).rejects.toThrow(
      LeaseLostError,
    );
  });

  it('renews the lease a third of its time before it runs out, and not before', async () => {
    const { deps, clock, store } = setup();
    const a = await admit(deps('a'), entry({}), 1);
    if (a.kind !== 'work') throw new Error('expected work');
    const before = store.row(SOURCE, 'e1')?.leaseUntil?.getTime();
    await a.lease.renewIfDue();
    expect(store.row(SOURCE, 'e1')?.leaseUntil?.getTime()).toBe(before);
    clock.advance(20_001);
    await a.lease.renewIfDue();
    expect(store.row(SOURCE, 'e1')?.leaseUntil?.getTime()).toBe(clock.now() + 60_000);
  });
});
