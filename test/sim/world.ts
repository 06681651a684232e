// The simulated services the real ingest runs against, and the deployment around it: an S3 raw
// bucket with versions and overwrites, an outputs bucket (puts and multipart uploads), the ledger
// (the in-memory compare-and-set store), the sweep's index, the three query tables (behind the real
// batch sink, which sends them the real statements), and SQS: the ingest queue with visibility,
// receive counts and a redrive policy, a dead-letter queue, and an event source that runs up to
// maximumConcurrency invocations of the real handler (lib/ingest/notifications.ts) at once, each
// killed at the function's timeout. Every call goes through the scheduler, which may fail it, lose
// its answer or kill its caller.
import { Readable } from 'node:stream';
import type { SQSEvent } from 'aws-lambda';
import { errors } from 'cassandra-driver';
import { insertStatement } from '../../lib/cassandra/cql';
import type { OpenIngest } from '../../lib/cassandra/model';
import { playTables } from '../../lib/cassandra/model';
import type { CassandraConfig } from '../../lib/config';
import { MAX_RECEIVE_COUNT } from '../../lib/infra/events';
import { CassandraBatchSink } from '../../lib/ingest/batch-sink';
import { TransientError } from '../../lib/ingest/failures';
import { Ledger, type LedgerStore } from '../../lib/ingest/ledger';
import { encodeS3Key, handleIngestEvent } from '../../lib/ingest/notifications';
import type { OpenIngests } from '../../lib/ingest/open-ingests';
import type { OutputStore, Upload } from '../../lib/ingest/output-store';
import type { IngestQueue } from '../../lib/ingest/queue';
import { ingestS3Version } from '../../lib/ingest/service';
import { sweep } from '../../lib/ingest/sweep';
import { ObjectChangedError, type ObjectSource } from '../../lib/ingest/types';
import { createLogger } from '../../lib/log';
import { MemoryLedgerStore } from '../support/memory-ledger';
import type { Scenario, VersionSpec } from './scenario';
import { type Invocation, Invocation as Process, type Scheduler } from './scheduler';

export const RAW = 'raw';
export const OUTPUTS = 'outputs';
const FUNCTION_TIMEOUT_MS = 900_000;
const VISIBILITY_MS = 6 * FUNCTION_TIMEOUT_MS;
const MAXIMUM_CONCURRENCY = 4;
const SWEEP_EVERY_MS = 15 * 60_000;
const quiet = createLogger('error', {}, () => undefined);
const timeout = () => new errors.OperationTimedOutError('sim: no answer in time');

interface Message {
  id: string;
  body: string;
  visibleAt: number;
  receives: number;
  receipt: string;
}

export interface OutputWrite {
  key: string;
  body: Buffer;
  by: string;
}

export class World {
  /** The raw bucket: each key's current version. */
  readonly raw = new Map<string, VersionSpec>();
  /** The outputs bucket, and every write to it in order. */
  readonly outputs = new Map<string, Buffer>();
  readonly outputWrites: OutputWrite[] = [];
  private readonly uploads = new Map<string, { key: string; parts: Buffer[] }>();
  readonly ledger = new MemoryLedgerStore();
  readonly index = new Map<string, OpenIngest>();
  /** table → primary key → column → value, as the statements wrote them. */
  readonly tables = new Map<string, Map<string, Record<string, unknown>>>();
  readonly queue = new Map<string, Message>();
  readonly deadLetters: { body: string; reason: string; report: string | undefined }[] = [];
  running = 0;
  private ids = 0;
  private pollAt = Number.POSITIVE_INFINITY;
  private readonly statements: Map<string, { table: string; columns: string[]; key: string[] }>;
  private readonly cassandraCfg = { keyspace: 'sim', writeConsistency: 'LOCAL_QUORUM' } as CassandraConfig;

  constructor(
    readonly sim: Scheduler,
    readonly scenario: Scenario,
    /** Whether the sweep runs; without it, no message is lost or delivered twice. */
    readonly sweeps: boolean,
  ) {
    if (!sweeps) scenario.faults = { ...scenario.faults, messageLoss: 0, duplicate: 0 };
    this.statements = new Map(
      playTables.map((t) => [
        insertStatement(this.cassandraCfg.keyspace, t).cql,
        {
          table: t.name,
          columns: t.columns.map((c) => c.name),
          key: [...t.partitionKey, ...t.clustering.map((c) => c.column)],
        },
      ]),
    );
    sim.onDeath = (inv) => this.died(inv);
  }

  /** What to do when a process dies: an ingest frees its slot; a sweep says it is over. */
  private readonly onDied = new Map<Invocation, () => void>();

  private died(inv: Invocation): void {
    const then = this.onDied.get(inv);
    this.onDied.delete(inv);
    then?.();
  }

  private nextId(prefix: string): string {
    return `${prefix}${++this.ids}`;
  }

  // ---- S3

  upload(v: VersionSpec): void {
    this.raw.set(v.key, v);
    this.sim.log(`upload ${v.key} ${v.etag} (${v.records} records, ${v.bytes.length} bytes)`);
    const record = {
      eventSource: 'aws:s3',
      eventName: 'ObjectCreated:Put',
      s3: { bucket: { name: RAW }, object: { key: encodeS3Key(v.key), eTag: v.etag, size: v.bytes.length } },
    };
    const body = JSON.stringify({ Records: [record] });
    // S3 notifies at least once.
    this.enqueue(body, this.sim.rng.between(0, 2000));
    if (this.sim.rng.chance(this.scenario.faults.duplicate))
      this.enqueue(body, this.sim.rng.between(0, 60_000));
  }

  private source(inv: Invocation, key: string): ObjectSource {
    const f = this.scenario.faults.s3;
    const source = `s3://${RAW}/${key}`;
    const s3Failure = () => new TransientError(`cannot read the object: sim: S3 failed`);
    const body = (v: VersionSpec, from: number, to = v.bytes.length) => {
      const sim = this.sim;
      async function* chunks(): AsyncGenerator<Buffer> {
        for (let at = from; at < to; at += v.chunk) {
          const end = Math.min(at + v.chunk, to);
          yield await sim.call(
            inv,
            `read ${key} @${at}`,
            f,
            () => v.bytes.subarray(at, end),
            () => new TransientError(`reading ${source}: sim: connection reset`),
          );
        }
      }
      return Readable.from(chunks(), { objectMode: false });
    };
    return {
      source,
      name: key,
      open: () =>
        this.sim.call(
          inv,
          `S3 get ${key}`,
          f,
          () => {
            const v = this.raw.get(key);
            if (!v) throw new TransientError('cannot read the object: NoSuchKey');
            return { body: body(v, 0), etag: v.etag, versionId: undefined, size: v.bytes.length };
          },
          s3Failure,
        ),
      openAt: (version, offset, end) =>
        this.sim.call(
          inv,
          `S3 get ${key} ${version.etag} @${offset}${end !== undefined ? `-${end}` : ''}`,
          f,
          () => {
            const v = this.raw.get(key);
            if (!v || v.etag !== version.etag) throw new ObjectChangedError(source);
            const size = Math.max(0, (end ?? v.bytes.length) - offset);
            return { body: body(v, offset, end), etag: v.etag, versionId: undefined, size };
          },
          s3Failure,
        ),
    };
  }

  /** A range of an outputs object (a split's text), read in the scenario's chunks, each call faulted. */
  private readOutput(inv: Invocation, key: string, offset: number, end: number): Promise<Readable> {
    const f = this.scenario.faults.s3;
    const sim = this.sim;
    const outputs = this.outputs;
    const chunk = this.scenario.textChunk;
    return sim.call(
      inv,
      `S3 get ${key} @${offset}-${end}`,
      f,
      () => {
        const stored = outputs.get(key);
        if (!stored) throw new TransientError(`cannot read s3://${OUTPUTS}/${key}: NoSuchKey`);
        const text = stored;
        if (end > text.length) throw new Error(`sim: ${key} holds ${text.length} bytes, asked to ${end}`);
        async function* chunks(): AsyncGenerator<Buffer> {
          for (let at = offset; at < end; at += chunk)
            yield await sim.call(
              inv,
              `read ${key} @${at}`,
              f,
              () => text.subarray(at, Math.min(at + chunk, end)),
              () => new TransientError(`reading ${key}: sim: connection reset`),
            );
        }
        return Readable.from(chunks(), { objectMode: false });
      },
      () => new TransientError(`cannot read ${key}: sim: S3 failed`),
    );
  }

  private putOutput(key: string, body: Buffer, by: string): void {
    this.outputs.set(key, body);
    this.outputWrites.push({ key, body, by });
  }

  private outputStore(inv: Invocation): OutputStore {
    const f = this.scenario.faults.s3;
    const fail = (what: string) => () => new TransientError(`${what}: sim: S3 failed`);
    return {
      location: (key) => `s3://${OUTPUTS}/${key}`,
      remove: (keys) =>
        this.sim.call(
          inv,
          `S3 delete ${keys.length} objects`,
          f,
          () => {
            for (const key of keys) this.outputs.delete(key);
          },
          fail('delete'),
        ),
      put: (key, body) =>
        this.sim.call(
          inv,
          `S3 put ${key}`,
          f,
          () => this.putOutput(key, Buffer.from(body), inv.name),
          fail('put'),
        ),
      startUpload: (key) =>
        this.sim.call(
          inv,
          `S3 start upload ${key}`,
          f,
          () => {
            const id = this.nextId('upload-');
            this.uploads.set(id, { key, parts: [] });
            const upload: Upload = {
              part: (b) =>
                this.sim.call(
                  inv,
                  `S3 upload part ${key}`,
                  f,
                  () => {
                    this.uploads.get(id)?.parts.push(b);
                  },
                  fail('part'),
                ),
              complete: () =>
                this.sim.call(
                  inv,
                  `S3 complete ${key}`,
                  f,
                  () => {
                    const u = this.uploads.get(id);
                    if (!u) throw new TransientError('NoSuchUpload');
                    this.uploads.delete(id);
                    this.putOutput(key, Buffer.concat(u.parts), inv.name);
                  },
                  fail('complete'),
                ),
              abort: () =>
                this.sim.call(
                  inv,
                  `S3 abort ${key}`,
                  f,
                  () => {
                    this.uploads.delete(id);
                  },
                  fail('abort'),
                ),
            };
            return upload;
          },
          fail('start upload'),
        ),
    };
  }

  // ---- Cassandra

  private ledgerStore(inv: Invocation): LedgerStore {
    const f = this.scenario.faults.cassandra;
    const store = this.ledger;
    return {
      read: (s, e) => this.sim.call(inv, `ledger read ${e}`, f, () => store.read(s, e), timeout),
      insertIfAbsent: (e) =>
        this.sim.call(inv, `ledger insert ${e.etag}`, f, () => store.insertIfAbsent(e), timeout),
      update: (e, fields, expect) =>
        this.sim.call(
          inv,
          `ledger update ${e.etag} ${fields.length > 4 ? `${e.status} parts=${e.parts}` : fields.join(',')} if ${Object.keys(expect).join(',')}`,
          f,
          () => store.update(e, fields, expect),
          timeout,
        ),
    };
  }

  private ledger_(inv: Invocation, giveUpAt: number | undefined): Ledger {
    return new Ledger(this.ledgerStore(inv), {
      retry: {
        budgetMs: this.scenario.retryBudgetMs,
        ...(giveUpAt ? { giveUpAt } : {}),
        random: () => this.sim.rng.next(),
      },
      clock: inv.clock,
    });
  }

  private openIngests(inv: Invocation): OpenIngests {
    const f = this.scenario.faults.cassandra;
    const id = (o: OpenIngest) => `${o.day}|${o.source}|${o.etag}|${o.filedAt.getTime()}`;
    return {
      add: (o) =>
        this.sim.call(inv, `index add ${o.etag}`, f, () => void this.index.set(id(o), { ...o }), timeout),
      list: (day) =>
        this.sim.call(
          inv,
          `index list ${day}`,
          f,
          () => [...this.index.values()].filter((o) => o.day === day),
          timeout,
        ),
      remove: (o) =>
        this.sim.call(inv, `index remove ${o.etag}`, f, () => void this.index.delete(id(o)), timeout),
    };
  }

  private write(cql: string, params: unknown[]): void {
    const statement = this.statements.get(cql);
    if (!statement) throw new Error(`sim: unknown statement ${cql}`);
    const row = Object.fromEntries(statement.columns.map((c, i) => [c, params[i]]));
    const rows = this.tables.get(statement.table) ?? new Map();
    this.tables.set(statement.table, rows);
    rows.set(statement.key.map((k) => String(row[k])).join('|'), row);
  }

  private sink(inv: Invocation, giveUpAt: number | undefined): CassandraBatchSink {
    const f = this.scenario.faults.cassandra;
    const client = {
      execute: (cql: string, params: unknown[]) =>
        this.sim.call(inv, 'cassandra write', f, () => this.write(cql, params), timeout),
      batch: (queries: { query: string; params: unknown[] }[]) =>
        this.sim.call(
          inv,
          `cassandra batch of ${queries.length}`,
          f,
          () => {
            for (const q of queries) this.write(q.query, q.params);
          },
          timeout,
        ),
    };
    return new CassandraBatchSink(client as never, this.cassandraCfg, {
      concurrency: 4,
      bufferPlays: this.scenario.bufferPlays,
      retry: {
        budgetMs: this.scenario.retryBudgetMs,
        ...(giveUpAt ? { giveUpAt } : {}),
        now: inv.clock.now,
        sleep: inv.clock.sleep,
        random: () => this.sim.rng.next(),
      },
    });
  }

  // ---- SQS

  private enqueue(body: string, delayMs: number): void {
    const id = this.nextId('m');
    this.queue.set(id, { id, body, visibleAt: this.sim.now + delayMs, receives: 0, receipt: '' });
    this.wake(this.sim.now + delayMs);
  }

  private ingestQueue(inv: Invocation): IngestQueue {
    const f = this.scenario.faults.sqs;
    const failure = () => new Error('sim: SQS failed');
    return {
      send: (body, delaySeconds) =>
        this.sim.call(
          inv,
          `SQS send${delaySeconds ? ` delayed ${delaySeconds}s` : ''}`,
          f,
          () => {
            // Lost outside our code: accepted, never delivered.
            if (this.sim.rng.chance(this.scenario.faults.messageLoss))
              return this.sim.log('  (the message is lost)');
            this.enqueue(body, Math.min(900, delaySeconds ?? 0) * 1000);
          },
          failure,
        ),
      retryLater: (receipt, delaySeconds) =>
        this.sim.call(
          inv,
          `SQS retry later ${delaySeconds}s`,
          f,
          () => {
            const m = [...this.queue.values()].find((x) => x.receipt === receipt);
            if (!m) throw new Error('sim: receipt handle is invalid');
            m.visibleAt = this.sim.now + delaySeconds * 1000;
            this.wake(m.visibleAt);
          },
          failure,
        ),
      deadLetter: (body, reason, report) =>
        this.sim.call(
          inv,
          'SQS dead-letter',
          f,
          () => {
            this.deadLetters.push({ body, reason, report });
            return true;
          },
          failure,
        ),
    };
  }

  /** Polls at `at` (now at the earliest), unless a poll is due before. */
  private wake(at: number): void {
    if (at >= this.pollAt) return;
    this.pollAt = at;
    this.sim.at(at, () => {
      this.pollAt = Number.POSITIVE_INFINITY;
      this.poll();
    });
  }

  /** The event source: receives what is visible, up to maximumConcurrency invocations at once. */
  private poll(): void {
    const now = this.sim.now;
    for (;;) {
      if (this.running >= MAXIMUM_CONCURRENCY) return;
      const visible = [...this.queue.values()].filter((m) => m.visibleAt <= now);
      if (visible.length === 0) break;
      const m = this.sim.rng.pick(visible);
      m.receives++;
      if (m.receives > MAX_RECEIVE_COUNT) {
        // The queue's redrive policy.
        this.queue.delete(m.id);
        this.deadLetters.push({ body: m.body, reason: 'maxReceiveCount', report: undefined });
        this.sim.log(`${m.id} moved to the dead-letter queue by the redrive policy`);
        continue;
      }
      m.receipt = this.nextId('r');
      m.visibleAt = now + VISIBILITY_MS;
      this.invoke(m, m.receipt);
      // At least once: now and then the same message goes out twice (counted twice, as SQS does).
      if (
        this.sim.rng.chance(this.scenario.faults.duplicate) &&
        this.running < MAXIMUM_CONCURRENCY &&
        m.receives < MAX_RECEIVE_COUNT
      ) {
        m.receives++;
        m.receipt = this.nextId('r');
        this.invoke(m, m.receipt);
      }
    }
    const next = Math.min(...[...this.queue.values()].map((m) => m.visibleAt));
    if (Number.isFinite(next)) this.wake(next);
  }

  /** A new process with a clock skewed as the scenario says; killed at the function's timeout. */
  private process(name: string, died: () => void): Invocation {
    const skew = this.scenario.skewMs;
    const inv = new Process(this.sim, name, skew === 0 ? 0 : this.sim.rng.between(-skew, skew));
    this.onDied.set(inv, died);
    this.sim.at(this.sim.now + FUNCTION_TIMEOUT_MS, () => this.sim.kill(inv, 'at the function timeout'));
    return inv;
  }

  private invoke(m: Message, receipt: string): void {
    this.running++;
    const inv = this.process(`ingest#${this.ids}(${m.id} x${m.receives})`, () => {
      // A dead invocation's message stays invisible until its visibility timeout.
      this.running--;
      this.poll();
    });
    const started = inv.clock.now();
    const event = {
      Records: [
        {
          messageId: m.id,
          receiptHandle: receipt,
          body: m.body,
          attributes: { ApproximateReceiveCount: String(m.receives) },
          eventSource: 'aws:sqs',
        },
      ],
    } as unknown as SQSEvent;
    const ports = {
      outputs: this.outputStore(inv),
      ledger: (giveUpAt: number | undefined) => this.ledger_(inv, giveUpAt),
      sink: (giveUpAt: number | undefined) => this.sink(inv, giveUpAt),
      open: this.openIngests(inv),
      clock: inv.clock,
      log: quiet,
      owner: inv.name,
      readOutput: (key: string, offset: number, end: number) => this.readOutput(inv, key, offset, end),
    };
    const settings = {
      leaseMs: this.scenario.leaseMs,
      rejectsPrefix: 'rejected/',
      reportsPrefix: 'reports/',
      deadlineMs: this.scenario.deadlineMs,
      deadlineMarginMs: 15_000,
      outputBucket: OUTPUTS,
      splitBytes: this.scenario.splitBytes || undefined,
      // A few rejects fill a chunk: parts with rejects go up as multipart uploads, which fail too.
      rejectsChunkBytes: this.scenario.rejectsChunkBytes,
    };
    handleIngestEvent(event, {
      ingest: (ref, delivery) =>
        ingestS3Version(
          { ...ports, source: this.source(inv, ref.key) },
          settings,
          { ...ref, lastDelivery: delivery.lastDelivery },
          { startedAt: started, remainingMs: FUNCTION_TIMEOUT_MS - (inv.clock.now() - started) },
        ),
      queue: this.ingestQueue(inv),
      continued: async (mark) => {
        await this.ledger_(inv, undefined).markContinued(mark.source, mark.etag, mark.part, mark.revision);
      },
      log: quiet,
    }).then(
      (result) => this.ended(inv, m, receipt, result.batchItemFailures.length > 0),
      (err: unknown) => {
        this.sim.log(`${inv.name} threw ${String(err)}`);
        this.ended(inv, m, receipt, true);
      },
    );
  }

  private ended(inv: Invocation, m: Message, receipt: string, keep: boolean): void {
    if (inv.dead) return;
    inv.ended = true;
    this.onDied.delete(inv);
    this.running--;
    // Lambda deletes what the batch response does not name, with the receipt it was given: an old
    // one deletes nothing (SQS's rule for a message received again since).
    if (!keep && this.queue.get(m.id)?.receipt === receipt) {
      if (this.sim.rng.chance(this.scenario.faults.deleteLost)) this.sim.log(`${m.id} delete lost`);
      else this.queue.delete(m.id);
    }
    this.sim.log(`${inv.name} ended${keep ? ', message kept' : ''}`);
    this.poll();
  }

  // ---- the sweep, on its schedule

  /** Runs the real sweep now; `then` after it ended (or died). */
  sweepNow(then: () => void): void {
    const inv = this.process(`sweep#${++this.ids}`, then);
    const done = (line: string) => {
      if (inv.dead) return;
      inv.ended = true;
      this.onDied.delete(inv);
      this.sim.log(line);
      then();
    };
    sweep({
      ledger: this.ledger_(inv, undefined),
      open: this.openIngests(inv),
      queue: this.ingestQueue(inv),
      outputs: () => this.outputStore(inv),
      reportsPrefix: 'reports/',
      clock: inv.clock,
      log: quiet,
      leaseMs: this.scenario.leaseMs,
    }).then(
      (r) =>
        done(
          `sweep: looked at ${r.looked}, ${r.ended} ended, resumed ${r.resumed.length}, gave up ${r.gaveUp.length}, ${r.errors} errors`,
        ),
      (err: unknown) => done(`sweep failed: ${String(err)}`),
    );
  }

  /**
   * Something is still going on: messages, invocations, or versions the sweep has yet to see end
   * (in its index, or in progress in the ledger).
   */
  busy(): boolean {
    return (
      this.queue.size > 0 ||
      this.running > 0 ||
      this.index.size > 0 ||
      [...this.ledger.rows.values()].some((e) => e.status === 'in_progress')
    );
  }

  /** Starts the world: the uploads at their times, the sweep every 15 minutes while anything is busy. */
  start(): void {
    for (const v of this.scenario.versions) this.sim.at(this.sim.now + v.uploadAt, () => this.upload(v));
    if (!this.sweeps) return;
    const last = Math.max(0, ...this.scenario.versions.map((v) => v.uploadAt));
    const tick = () =>
      this.sweepNow(() => {
        if (this.busy()) this.sim.at(this.sim.now + SWEEP_EVERY_MS, tick);
      });
    this.sim.at(this.sim.now + last + SWEEP_EVERY_MS, tick);
  }
}

export { FUNCTION_TIMEOUT_MS, SWEEP_EVERY_MS, VISIBILITY_MS };
