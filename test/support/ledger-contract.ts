// The ledger's contract, one suite for every store: the in-memory one (test/unit/ingest/ledger.test.ts)
// and Cassandra's (test/integration/ledger.test.ts). Leases, compare-and-set, and the two answers
// that lie: a write that timed out after it was applied, and a conditional write that did not
// apply because another delivery got there first.
import { randomBytes } from 'node:crypto';
import type { LedgerEntry } from '../../lib/cassandra/model';
import { Ledger, type LedgerStore, REOPEN_FIELDS } from '../../lib/ingest/ledger';
import { newLedgerEntry } from '../../lib/ingest/report';
import { lostAnswers, ManualClock, type StoreOp } from './memory-ledger';

export interface ContractStore {
  store: LedgerStore;
}

const LEASE = 60_000;

export function describeLedgerContract(name: string, makeStore: () => ContractStore): void {
  describe(`the ledger contract (${name})`, () => {
    let clock: ManualClock;
    /** Calls of these kinds, while the count lasts, apply and then lose their answer. */
    let lose: { op: StoreOp; times: number } | undefined;
    let ledger: Ledger;
    let store: LedgerStore;

    beforeEach(() => {
      clock = new ManualClock();
      lose = undefined;
      store = makeStore().store;
      const faulty = lostAnswers(store, (op) => {
        if (lose?.op !== op || lose.times <= 0) return false;
        lose.times--;
        return true;
      });
      ledger = new Ledger(faulty, { retry: { budgetMs: 10_000, random: () => 0.5 }, clock });
    });

    const version = (): LedgerEntry =>
      newLedgerEntry(
        `s3://contract/${randomBytes(6).toString('hex')}.csv`,
        { etag: 'e1', versionId: undefined },
        new Date(clock.now()),
      );
    const read = (e: LedgerEntry) => store.read(e.source, e.etag);

    it('creates the row with the lease for the first claimer, and answers busy to a second while it is live', async () => {
      const fresh = version();
      const first = await ledger.claim(fresh, 'a', LEASE);
      expect(first).toMatchObject({ kind: 'claimed', entry: { leaseOwner: 'a', status: 'in_progress' } });
      const second = await ledger.claim(fresh, 'b', LEASE);
      expect(second).toMatchObject({ kind: 'busy', entry: { leaseOwner: 'a' } });
      expect((await read(fresh))?.leaseOwner).toBe('a');
    });

    it('lets another take a lease over once it has expired', async () => {
      const fresh = version();
      await ledger.claim(fresh, 'a', LEASE);
      clock.advance(LEASE + 1);
      expect(await ledger.claim(fresh, 'b', LEASE)).toMatchObject({
        kind: 'claimed',
        entry: { leaseOwner: 'b' },
      });
      expect((await read(fresh))?.leaseOwner).toBe('b');
    });

    it('gives one of two takers of the same expired lease the lease, and the other a busy answer', async () => {
      const fresh = version();
      await ledger.claim(fresh, 'a', LEASE);
      clock.advance(LEASE + 1);
      const [b, c] = await Promise.all([ledger.claim(fresh, 'b', LEASE), ledger.claim(fresh, 'c', LEASE)]);
      expect([b.kind, c.kind].sort()).toEqual(['busy', 'claimed']);
      const winner = b.kind === 'claimed' ? 'b' : 'c';
      expect((await read(fresh))?.leaseOwner).toBe(winner);
    });

    it('does not take over a row that changed since it was read, even when its lease columns look the same again', async () => {
      const fresh = version();
      const a = await ledger.claim(fresh, 'a', LEASE);
      clock.advance(LEASE + 1);
      // c reads the row with a's expired lease; before its takeover lands, b takes over and completes.
      const seenByC = await read(fresh);
      const b = await ledger.claim(fresh, 'b', LEASE);
      if (b.kind !== 'claimed' || !seenByC) throw new Error('expected b to take over');
      await ledger.write(
        { ...b.entry, status: 'completed', parts: 1, leaseOwner: undefined, leaseUntil: undefined },
        'b',
      );
      const late = await store.update(
        {
          ...seenByC,
          leaseOwner: 'c',
          leaseUntil: new Date(clock.now() + LEASE),
          revision: (seenByC.revision ?? 0) + 1,
        },
        ['leaseOwner', 'leaseUntil', 'revision'],
        { revision: seenByC.revision },
      );
      expect(late.applied).toBe(false);
      expect(await read(fresh)).toMatchObject({ status: 'completed', leaseOwner: undefined });
      expect(a.kind).toBe('claimed');
    });

    it('answers done for a completed version', async () => {
      const fresh = version();
      const { entry } = await ledger.claim(fresh, 'a', LEASE);
      expect(
        await ledger.write(
          { ...entry, status: 'completed', parts: 1, leaseOwner: undefined, leaseUntil: undefined },
          'a',
        ),
      ).toBeDefined();
      expect(await ledger.claim(fresh, 'b', LEASE)).toMatchObject({
        kind: 'done',
        entry: { status: 'completed', parts: 1 },
      });
    });

    it('writes under the lease only for its holder', async () => {
      const fresh = version();
      const { entry } = await ledger.claim(fresh, 'a', LEASE);
      expect(await ledger.write({ ...entry, parts: 1, rowsRead: 10 }, 'b')).toBeUndefined();
      expect((await read(fresh))?.parts).toBe(0);
      expect(await ledger.write({ ...entry, parts: 1, rowsRead: 10 }, 'a')).toBeDefined();
      expect(await read(fresh)).toMatchObject({ parts: 1, rowsRead: 10, leaseOwner: 'a' });
    });

    it('says a conditional write did not apply when another delivery took the lease over meanwhile', async () => {
      const fresh = version();
      const { entry } = await ledger.claim(fresh, 'a', LEASE);
      clock.advance(LEASE + 1);
      await ledger.claim(fresh, 'b', LEASE);
      // a's checkpoint, releasing the lease: b holds it, so it must not apply, and must not be believed.
      expect(
        await ledger.write({ ...entry, parts: 1, leaseOwner: undefined, leaseUntil: undefined }, 'a'),
      ).toBeUndefined();
      expect(await read(fresh)).toMatchObject({ parts: 0, leaseOwner: 'b' });
    });

    it('takes a claim whose answer was lost as made: the retry finds its own lease', async () => {
      const fresh = version();
      lose = { op: 'insertIfAbsent', times: 1 };
      expect(await ledger.claim(fresh, 'a', LEASE)).toMatchObject({
        kind: 'claimed',
        entry: { leaseOwner: 'a' },
      });
      expect(lose.times).toBe(0);
    });

    it('takes a takeover whose answer was lost as made', async () => {
      const fresh = version();
      await ledger.claim(fresh, 'a', LEASE);
      clock.advance(LEASE + 1);
      lose = { op: 'update', times: 1 };
      expect(await ledger.claim(fresh, 'b', LEASE)).toMatchObject({
        kind: 'claimed',
        entry: { leaseOwner: 'b' },
      });
      expect((await read(fresh))?.leaseOwner).toBe('b');
    });

    it('takes a write that released the lease, applied, and lost its answer as made: the row holds exactly it', async () => {
      const fresh = version();
      const { entry } = await ledger.claim(fresh, 'a', LEASE);
      lose = { op: 'update', times: 1 };
      const checkpoint = {
        ...entry,
        parts: 1,
        resumeOffset: 100,
        resumeLine: 5,
        leaseOwner: undefined,
        leaseUntil: undefined,
      };
      expect(await ledger.write(checkpoint, 'a')).toBeDefined();
      expect(await read(fresh)).toMatchObject({ parts: 1, resumeOffset: 100, leaseOwner: undefined });
    });

    it('takes a renewal that applied and lost its answer as made (the retry applies again)', async () => {
      const fresh = version();
      const { entry } = await ledger.claim(fresh, 'a', LEASE);
      lose = { op: 'update', times: 1 };
      const until = new Date(clock.now() + 2 * LEASE);
      expect(await ledger.write({ ...entry, leaseUntil: until }, 'a')).toBeDefined();
      expect((await read(fresh))?.leaseUntil?.getTime()).toBe(until.getTime());
    });

    it('does not take a lost answer as made when the row holds another delivery’s write', async () => {
      const fresh = version();
      const { entry } = await ledger.claim(fresh, 'a', LEASE);
      // a releases at part 1; the answer is lost; before a looks, b has claimed and recorded part 2.
      const released = { ...entry, parts: 1, leaseOwner: undefined, leaseUntil: undefined };
      let raced = false;
      const racing = new Ledger(
        lostAnswers(store, (op) => {
          if (op !== 'update' || raced) return false;
          raced = true;
          return true;
        }),
        {
          retry: { budgetMs: 10_000, random: () => 0.5 },
          clock: {
            now: clock.now,
            sleep: async (ms) => {
              clock.advance(ms);
              const b = await ledger.claim(fresh, 'b', LEASE);
              if (b.kind === 'claimed')
                await ledger.write(
                  { ...b.entry, parts: 2, leaseOwner: undefined, leaseUntil: undefined },
                  'b',
                );
            },
          },
        },
      );
      expect(await racing.write(released, 'a')).toBeUndefined();
      expect((await read(fresh))?.parts).toBe(2);
    });

    it('marks a part continued only while the ledger is at the part before it, and only ever raises the mark', async () => {
      const fresh = version();
      const { entry } = await ledger.claim(fresh, 'a', LEASE);
      await ledger.write({ ...entry, parts: 1, leaseOwner: undefined, leaseUntil: undefined }, 'a');
      expect(await ledger.markContinued(fresh.source, fresh.etag, 3)).toBe(false);
      expect((await read(fresh))?.continuedPart).toBeUndefined();
      expect(await ledger.markContinued(fresh.source, fresh.etag, 2)).toBe(true);
      expect((await read(fresh))?.continuedPart).toBe(2);
      // A write under the lease never touches it.
      const again = await ledger.claim(fresh, 'b', LEASE);
      if (again.kind !== 'claimed') throw new Error(`expected a claim, got ${again.kind}`);
      await ledger.write(
        { ...again.entry, continuedPart: undefined, parts: 2, leaseOwner: undefined, leaseUntil: undefined },
        'b',
      );
      expect(await read(fresh)).toMatchObject({ parts: 2, continuedPart: 2 });
    });

    it('marks a part continued only on the row its checkpoint left, and a reopening clears the mark', async () => {
      const fresh = version();
      const { entry } = await ledger.claim(fresh, 'a', LEASE);
      const checkpointed = await ledger.write(
        { ...entry, parts: 1, leaseOwner: undefined, leaseUntil: undefined },
        'a',
      );
      // Another delivery took the lease after the checkpoint: the mark no longer applies.
      const b = await ledger.claim(fresh, 'b', LEASE);
      if (b.kind !== 'claimed') throw new Error(`expected a claim, got ${b.kind}`);
      expect(await ledger.markContinued(fresh.source, fresh.etag, 2, checkpointed?.revision)).toBe(false);
      expect((await read(fresh))?.continuedPart).toBeUndefined();
      const current = (await read(fresh))?.revision;
      expect(await ledger.markContinued(fresh.source, fresh.etag, 2, current)).toBe(true);
      expect((await read(fresh))?.continuedPart).toBe(2);
      // Ended and reopened: the reopening write clears it.
      const ended = await ledger.write({ ...b.entry, status: 'superseded' }, 'b');
      if (!ended) throw new Error('expected the write to apply');
      await ledger.write({ ...ended, status: 'in_progress', continuedPart: undefined }, 'b', REOPEN_FIELDS);
      expect(await read(fresh)).toMatchObject({ status: 'in_progress', parts: 1, continuedPart: undefined });
    });

    it('takes a continuation mark whose answer was lost as made', async () => {
      const fresh = version();
      const { entry } = await ledger.claim(fresh, 'a', LEASE);
      await ledger.write({ ...entry, parts: 1, leaseOwner: undefined, leaseUntil: undefined }, 'a');
      lose = { op: 'update', times: 1 };
      expect(await ledger.markContinued(fresh.source, fresh.etag, 2)).toBe(true);
      expect((await read(fresh))?.continuedPart).toBe(2);
    });

    it('records when each write was made, by the writer’s clock', async () => {
      const fresh = version();
      const { entry } = await ledger.claim(fresh, 'a', LEASE);
      expect((await read(fresh))?.updatedAt?.getTime()).toBe(clock.now());
      clock.advance(5000);
      await ledger.write({ ...entry, parts: 1 }, 'a');
      expect((await read(fresh))?.updatedAt?.getTime()).toBe(clock.now());
    });
  });
}
