import type { Client } from 'cassandra-driver';
import { errors, types } from 'cassandra-driver';
import { loadConfig } from '../../../lib/config';
import type { Play } from '../../../lib/events/event';
import {
  CassandraBatchSink,
  MAX_BATCH_STATEMENTS,
  type PartitionBatch,
  partitionBatches,
  type TableWriter,
  tableWriters,
} from '../../../lib/ingest/batch-sink';
import { TokenBucket } from '../../../lib/rate-limit';

const cfg = loadConfig({ CASSANDRA_KEYSPACE: 'ks' }).cassandra;
const play = (sessionId: number, item: number, song = `Song ${item}`, userId = 7): Play => ({
  sessionId,
  itemInSession: item,
  userId,
  artist: 'Band',
  song,
  length: 200,
  firstName: 'Ann',
  lastName: 'Lee',
});

interface Sent {
  table: string;
  rows: unknown[][];
  /** Each statement's CQL. */
  cql: string[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Records every execute/batch; each stays pending until the test settles it (or `auto` does). */
class FakeClient {
  readonly sent: Sent[] = [];
  auto: 'resolve' | undefined = 'resolve';
  private push(cql: string[], rows: unknown[][]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const table = /INSERT INTO ks\.(\w+)/.exec(cql[0] ?? '')?.[1] ?? '?';
      this.sent.push({ table, rows, cql, resolve: () => resolve(undefined), reject });
      if (this.auto === 'resolve') setImmediate(() => resolve(undefined));
    });
  }
  execute(cql: string, params: unknown[]) {
    return this.push([cql], [params]);
  }
  batch(queries: { query: string; params: unknown[] }[]) {
    return this.push(
      queries.map((q) => q.query),
      queries.map((q) => q.params),
    );
  }
}

function sink(client: FakeClient, concurrency = 8, bufferPlays = 4) {
  return new CassandraBatchSink(client as unknown as Client, cfg, {
    concurrency,
    retry: { budgetMs: 1000 },
    bufferPlays,
  });
}

describe('partitionBatches', () => {
  const [q1, q2, q3] = tableWriters('ks') as [TableWriter, TableWriter, TableWriter];
  const rows = (batches: PartitionBatch[]) => batches.map((b) => b.rows);

  it('puts only rows of one partition in a batch', () => {
    const plays = [
      play(1, 0, 'Song 0', 1),
      play(2, 0, 'Song 0', 2),
      play(1, 1),
      play(2, 1, 'Song 1', 2),
      play(1, 2),
    ];
    expect(rows(partitionBatches(q1, plays))).toEqual([
      [0, 2, 4],
      [1, 3],
    ]);
    // Q3 is keyed by song: plays with the same item number above share a title.
    expect(rows(partitionBatches(q3, plays))).toEqual([[0, 1], [2, 3], [4]]);
    expect(rows(partitionBatches(q2, [play(1, 0, 'a', 7), play(1, 1, 'a', 8)]))).toEqual([[0], [1]]);
  });

  it(`splits a partition into batches of at most ${MAX_BATCH_STATEMENTS} statements and about 4 KB`, () => {
    const many = Array.from({ length: 70 }, (_, i) => play(1, i));
    expect(partitionBatches(q1, many).map((b) => b.rows.length)).toEqual([30, 30, 10]);
    const long = Array.from({ length: 10 }, (_, i) => play(1, i, 'x'.repeat(900)));
    expect(partitionBatches(q1, long).every((b) => b.rows.length <= 2)).toBe(true);
  });

  it('writes one row per primary key, of the last play with it, for every play with it', () => {
    // The same listener plays "a" three times in two sessions, another listener once.
    const plays = [
      play(1, 0, 'a', 7),
      play(2, 0, 'a', 7),
      play(1, 1, 'b', 7),
      play(2, 1, 'a', 8),
      play(3, 0, 'a', 7),
    ];
    expect(partitionBatches(q3, plays)).toEqual([
      { rows: [2], plays: [2] },
      { rows: [3, 4], plays: [3, 4, 0, 1] },
    ]);
    // Every play is its own row in the tables keyed by session and item.
    expect(
      partitionBatches(q1, plays)
        .flatMap((b) => b.rows)
        .sort(),
    ).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('CassandraBatchSink', () => {
  it('writes every play to the three tables, grouped by partition', async () => {
    const client = new FakeClient();
    const s = sink(client, 8, 4);
    for (const p of [play(1, 0), play(1, 1), play(2, 0, 'Song 0', 8), play(1, 2)]) await s.add(p);
    await s.drain();
    expect([s.accepted, s.written, s.failed]).toEqual([4, 4, 0]);
    const q1 = client.sent.filter((r) => r.table === 'plays_by_session');
    expect(q1.map((r) => r.rows.map((row) => row[0]))).toEqual([[1, 1, 1], [2]]);
    expect(client.sent.filter((r) => r.table === 'listeners_by_song').flatMap((r) => r.rows)).toHaveLength(4);
  });

  it('counts a play whose row another play of the buffer wrote as written with it', async () => {
    const client = new FakeClient();
    const s = sink(client, 8, 4);
    // One listener, one song, twice: one row of listeners_by_song for both plays.
    for (const p of [play(1, 0, 'a', 7), play(1, 1, 'a', 7)]) await s.add(p);
    await s.drain();
    expect(client.sent.filter((r) => r.table === 'listeners_by_song').flatMap((r) => r.rows)).toHaveLength(1);
    expect([s.accepted, s.written]).toEqual([2, 2]);
  });

  it("takes a token per row from each table's bucket when a write rate is set, and none without", async () => {
    const take = jest.spyOn(TokenBucket.prototype, 'take');
    try {
      for (const [rate, calls] of [
        [undefined, 0],
        [1000, 3],
      ] as const) {
        take.mockClear();
        const client = new FakeClient();
        const s = new CassandraBatchSink(client as unknown as Client, cfg, {
          concurrency: 8,
          retry: { budgetMs: 1000 },
          bufferPlays: 4,
          ...(rate ? { maxWritesPerSecond: rate } : {}),
        });
        for (const p of [play(1, 0), play(1, 1), play(1, 2), play(1, 3)]) await s.add(p);
        await s.drain();
        expect(take.mock.calls.length).toBeGreaterThanOrEqual(calls);
        if (rate)
          expect(take.mock.calls.reduce((n, [rows]) => n + rows, 0)).toBe(
            client.sent.flatMap((r) => r.rows).length,
          );
        else expect(take).not.toHaveBeenCalled();
      }
    } finally {
      take.mockRestore();
    }
  });

  it('counts a play as written only when all its tables confirmed it', async () => {
    const client = new FakeClient();
    client.auto = undefined;
    const s = sink(client, 16, 1);
    await s.add(play(1, 0));
    expect(client.sent).toHaveLength(3);
    client.sent[0]?.resolve();
    client.sent[1]?.resolve();
    await new Promise((r) => setImmediate(r));
    expect(s.written).toBe(0);
    client.sent[2]?.resolve();
    await s.drain();
    expect(s.written).toBe(1);
  });

  it('makes the caller wait while `concurrency` requests are in flight', async () => {
    const client = new FakeClient();
    client.auto = undefined;
    const s = sink(client, 2, 1);
    const wait = s.add(play(1, 0));
    expect(wait).toBeInstanceOf(Promise);
    let passed = false;
    void wait?.then(() => {
      passed = true;
    });
    await new Promise((r) => setImmediate(r));
    expect([client.sent.length, passed]).toEqual([2, false]);
    client.sent[0]?.resolve();
    await new Promise((r) => setImmediate(r));
    expect(client.sent).toHaveLength(3);
    for (const r of client.sent) r.resolve();
    await s.drain();
    expect(s.peakInFlight).toBe(2);
  });

  it('retries a transient failure and then succeeds', async () => {
    const client = new FakeClient();
    let first = true;
    const original = client.execute.bind(client);
    client.execute = (cql: string, params: unknown[]) => {
      if (first) {
        first = false;
        return Promise.reject(new errors.ResponseError(types.responseErrorCodes.writeTimeout, 'timeout'));
      }
      return original(cql, params);
    };
    const s = sink(client, 4, 1);
    await s.add(play(1, 0));
    await s.drain();
    expect([s.written, s.retries]).toEqual([1, 1]);
  });

  it('stops sending after a write fails for good, and counts what was not written as failed', async () => {
    const client = new FakeClient();
    client.execute = () =>
      Promise.reject(new errors.ResponseError(types.responseErrorCodes.invalid, 'unconfigured table'));
    const s = sink(client, 1, 2);
    await s.add(play(1, 0));
    await s.add(play(2, 0));
    await s.drain();
    expect(s.error).toBeInstanceOf(errors.ResponseError);
    expect([s.accepted, s.written, s.failed]).toEqual([2, 0, 2]);
  });
});
