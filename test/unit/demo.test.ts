import { EventEmitter } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { BUCKET_TRIGGER_SUFFIXES } from '../../lib/events/formats';
import { buildReport, type IngestReport, reportJson } from '../../lib/ingest/report';
import { pickExamples } from '../../scripts/demo/examples';
import { handleInterrupts, Interrupted, type SignalSource } from '../../scripts/demo/interrupt';
import {
  describeOutcome,
  firstRejects,
  type ObjectReader,
  outcomeFailed,
  type WaitOptions,
  waitForOutcome,
} from '../../scripts/demo/outcome';
import { selectEventFiles } from '../../scripts/local/event-files';
import { putFiles } from '../../scripts/local/put-files';

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('handleInterrupts', () => {
  function setup() {
    const signals = new EventEmitter();
    const said: string[] = [];
    const exits: number[] = [];
    const clock = { ms: 0 };
    const interrupts = handleInterrupts({
      signals: signals as unknown as SignalSource,
      say: (text) => said.push(text),
      exit: (code) => exits.push(code),
      now: () => clock.ms,
    });
    /** A key press a second after the previous one. */
    const send = (signal: NodeJS.Signals) => {
      clock.ms += 1000;
      signals.emit(signal, signal);
    };
    /** The same press delivered again (the group's signal and tsx's relay of it). */
    const echo = (signal: NodeJS.Signals) => {
      clock.ms += 20;
      signals.emit(signal, signal);
    };
    return { signals, said, exits, interrupts, send, echo };
  }

  it('undoes what was started, newest first, on the first Ctrl-C, then exits 130', async () => {
    const { interrupts, send, exits } = setup();
    const undone: string[] = [];
    interrupts.add(async () => undone.push('stack'));
    interrupts.add(async () => undone.push('offline'));
    send('SIGINT');
    await tick();
    await interrupts.stop();
    await tick();
    expect(undone).toEqual(['offline', 'stack']);
    expect(exits).toEqual([130]);
    expect(interrupts.exitCode).toBe(130);
    interrupts.dispose();
  });

  it('exits 143 on SIGTERM', async () => {
    const { interrupts, send, exits } = setup();
    send('SIGTERM');
    await interrupts.stop();
    await tick();
    expect(exits).toEqual([143]);
    interrupts.dispose();
  });

  it('runs the cleanup once, and answers a repeated Ctrl-C while it runs instead of obeying it', async () => {
    const { interrupts, send, exits, said } = setup();
    let release: () => void = () => undefined;
    let runs = 0;
    interrupts.add(() => {
      runs++;
      return new Promise<void>((r) => {
        release = r;
      });
    });
    send('SIGINT');
    send('SIGINT');
    send('SIGTERM');
    await tick();
    expect(runs).toBe(1);
    expect(exits).toEqual([]);
    expect(said.filter((s) => s.includes('still stopping'))).toHaveLength(2);
    release();
    await interrupts.stop();
    await tick();
    expect(runs).toBe(1);
    expect(exits).toEqual([130]);
    interrupts.dispose();
  });

  it('also undoes what finishes starting while it stops (a start that was under way at Ctrl-C)', async () => {
    const { interrupts, send } = setup();
    const undone: string[] = [];
    let release: () => void = () => undefined;
    interrupts.add(
      () =>
        new Promise<void>((r) => {
          release = () => {
            undone.push('client');
            r();
          };
        }),
    );
    send('SIGINT');
    await tick();
    interrupts.add(async () => undone.push('offline, started meanwhile'));
    release();
    await interrupts.stop();
    interrupts.add(async () => undone.push('even later'));
    await interrupts.stop();
    expect(undone).toEqual(['client', 'offline, started meanwhile', 'even later']);
    interrupts.dispose();
  });

  it('keeps undoing the rest when one undo fails, and says so', async () => {
    const { interrupts, send, said } = setup();
    const undone: string[] = [];
    interrupts.add(async () => undone.push('stack'));
    interrupts.add(async () => {
      throw new Error('socket closed');
    });
    send('SIGINT');
    await interrupts.stop();
    expect(undone).toEqual(['stack']);
    expect(said).toContainEqual(expect.stringContaining('socket closed'));
    interrupts.dispose();
  });

  it('takes one Ctrl-C delivered twice within moments as one press', async () => {
    const { interrupts, send, echo, said } = setup();
    send('SIGINT');
    echo('SIGINT');
    await interrupts.stop();
    expect(said).toEqual(['SIGINT: interrupted; stopping what the demo started']);
    interrupts.dispose();
  });

  it('lets no new step start after an interrupt', () => {
    const { interrupts, send } = setup();
    expect(() => interrupts.throwIfInterrupted()).not.toThrow();
    send('SIGINT');
    expect(() => interrupts.throwIfInterrupted()).toThrow(Interrupted);
    interrupts.dispose();
  });

  it('takes the Ctrl-C the demo waits for as its expected end, not as an interrupt', async () => {
    const { interrupts, send, exits } = setup();
    const waited = interrupts.nextSignal();
    send('SIGINT');
    await expect(waited).resolves.toBe('SIGINT');
    expect(interrupts.interrupted).toBeUndefined();
    expect(exits).toEqual([]);
    interrupts.dispose();
  });

  it('leaves no listener behind once disposed', () => {
    const { interrupts, signals } = setup();
    expect(signals.listenerCount('SIGINT')).toBe(1);
    interrupts.dispose();
    expect(signals.listenerCount('SIGINT')).toBe(0);
    expect(signals.listenerCount('SIGTERM')).toBe(0);
  });
});

describe('selectEventFiles', () => {
  it('uploads exactly what the bucket notifications deliver and skips the rest', () => {
    const { accepted, skipped } = selectEventFiles([
      'b.json',
      'a.csv',
      'c.jsonl.gz',
      'd.ndjson',
      'e.ndjson.gz',
      'F.CSV',
      'g.csv.GZ',
      'h.tsv',
      'README.md',
    ]);
    expect(accepted).toEqual(['a.csv', 'b.json', 'c.jsonl.gz', 'd.ndjson', 'e.ndjson.gz']);
    expect(skipped).toEqual(['F.CSV', 'README.md', 'g.csv.GZ', 'h.tsv']);
  });

  it.each(BUCKET_TRIGGER_SUFFIXES.map((s) => [s]))('accepts a name ending in %s', (suffix) => {
    expect(selectEventFiles([`events${suffix}`]).accepted).toEqual([`events${suffix}`]);
  });
});

describe('putFiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'put-'));
  const files = Array.from({ length: 10 }, (_, i) => {
    const path = join(dir, `day-${i}.csv`);
    writeFileSync(path, 'x'.repeat(1000 + i));
    return path;
  });

  function fakeS3(failOn?: string) {
    const puts: { key: string; length: number | undefined; streamed: boolean; bytes: number }[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const s3 = {
      async send(command: PutObjectCommand) {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        try {
          const { Key, Body, ContentLength } = command.input;
          if (Key === failOn) throw new Error('SlowDown');
          let bytes = 0;
          if (Body instanceof Readable) for await (const chunk of Body) bytes += (chunk as Buffer).length;
          await new Promise((r) => setTimeout(r, 5));
          puts.push({ key: Key ?? '', length: ContentLength, streamed: Body instanceof Readable, bytes });
          return { ETag: `"etag-${Key}"` };
        } finally {
          inFlight--;
        }
      },
    };
    return { s3, puts, maxInFlight: () => maxInFlight };
  }

  it('streams each file with its length, at most 4 at a time, and returns keys and ETags in order', async () => {
    const { s3, puts, maxInFlight } = fakeS3();
    const uploaded = await putFiles(s3, files, { bucket: 'b', prefix: 'incoming/', concurrency: 4 });
    expect(uploaded.map((u) => u.key)).toEqual(files.map((_, i) => `incoming/day-${i}.csv`));
    expect(uploaded[3]?.etag).toBe('etag-incoming/day-3.csv');
    expect(maxInFlight()).toBe(4);
    for (const put of puts) {
      expect(put.streamed).toBe(true);
      expect(put.length).toBe(put.bytes);
    }
  });

  it('stops starting uploads after a failure and throws it', async () => {
    const { s3, puts } = fakeS3('incoming/day-1.csv');
    await expect(putFiles(s3, files, { bucket: 'b', prefix: 'incoming/', concurrency: 2 })).rejects.toThrow(
      'SlowDown',
    );
    expect(puts.length).toBeLessThan(files.length - 1);
  });
});

describe('waitForOutcome', () => {
  const upload = {
    bucket: 'raw',
    key: 'incoming/a.csv',
    etag: 'e2',
    since: Date.parse('2026-01-01T00:00:10Z'),
  };
  const at = (s: number) => new Date(Date.parse('2026-01-01T00:00:00Z') + s * 1000).toISOString();

  /** Serves the given report objects in turn (undefined: none yet), then the last one for ever. */
  function fakeReports(sequence: (IngestReport | undefined)[]) {
    const keys: string[] = [];
    let i = 0;
    const reader: ObjectReader = {
      async send(command: GetObjectCommand) {
        keys.push(`${command.input.Bucket}/${command.input.Key}`);
        const report = sequence[Math.min(i++, sequence.length - 1)];
        if (!report) throw Object.assign(new Error('no such key'), { name: 'NoSuchKey' });
        return { Body: { transformToString: async () => reportJson(report) } };
      },
    };
    return { reader, keys };
  }
  const clock = () => {
    let ms = 0;
    return { now: () => ms, sleep: async (wait: number) => (ms += wait) };
  };
  const opts = (extra: Partial<WaitOptions> = {}): WaitOptions => ({
    outputs: 'out',
    reportsPrefix: 'reports/',
    timeoutMs: 60_000,
    ...clock(),
    ...extra,
  });

  it("reads the report of the upload's own version, waiting until the version has ended", async () => {
    const done = buildReport('s3://raw/incoming/a.csv', 'completed', {
      etag: 'e2',
      startedAt: at(11),
      finishedAt: at(12),
      rowsRead: 9,
    });
    const { reader, keys } = fakeReports([undefined, undefined, done]);
    const outcome = await waitForOutcome(reader, upload, opts());
    // As stored: absent values are null.
    expect(outcome).toEqual({
      kind: 'report',
      source: 's3://raw/incoming/a.csv',
      report: JSON.parse(reportJson(done)),
      before: false,
    });
    expect(new Set(keys)).toEqual(new Set(['out/reports/incoming/a.csv/e2.json']));
  });

  it('says the same bytes were ingested before when their version’s ingest began before the upload', async () => {
    const earlier = buildReport('s3://raw/incoming/a.csv', 'completed', {
      etag: 'e2',
      startedAt: at(1),
      finishedAt: at(2),
      rowsRead: 9,
      rowsWritten: 9,
    });
    const outcome = await waitForOutcome(fakeReports([earlier]).reader, upload, opts());
    expect(outcome).toMatchObject({ kind: 'report', before: true });
    expect(outcomeFailed(outcome)).toBe(false);
    expect(describeOutcome(outcome)).toBe(
      `s3://raw/incoming/a.csv: duplicate, already ingested at ${at(2)}: 9 rows read, 9 written, 0 skipped, 0 rejected`,
    );
  });

  it('takes a failed version as failed', async () => {
    const poison = buildReport('s3://raw/incoming/a.csv', 'failed', {
      etag: 'e2',
      startedAt: at(11),
      failure: 'input',
      error: 'not an event log',
    });
    const failed = await waitForOutcome(fakeReports([poison]).reader, upload, opts());
    expect(outcomeFailed(failed)).toBe(true);
  });

  it('gives up at the timeout, saying where to look for how far it got', async () => {
    const outcome = await waitForOutcome(fakeReports([undefined]).reader, upload, opts({ timeoutMs: 5000 }));
    expect(outcome).toMatchObject({ kind: 'timeout', waitedMs: 5000 });
    expect(outcomeFailed(outcome)).toBe(true);
    expect(describeOutcome(outcome)).toBe(
      's3://raw/incoming/a.csv: no outcome within 5 s (still in progress, or being retried: GET /ingests?source=… says how far it got)',
    );
  });
});

describe('describeOutcome', () => {
  const source = 's3://raw/incoming/a.csv';
  const line = (report: IngestReport) => describeOutcome({ kind: 'report', source, report, before: false });

  it('says what a completed ingest counted and where its rejects are', () => {
    expect(
      line(
        buildReport(source, 'completed', {
          rowsRead: 14_000,
          rowsWritten: 6,
          rowsSkipped: 2,
          rowsRejected: 13_992,
          rejectsLocations: ['s3://out/rejected/incoming/a.csv.jsonl'],
        }),
      ),
    ).toBe(
      `${source}: completed, 14,000 rows read, 6 written, 2 skipped, 13,992 rejected; rejects in s3://out/rejected/incoming/a.csv.jsonl`,
    );
  });

  it('gives a failure its message, and for a poison object what to do', () => {
    expect(line(buildReport(source, 'failed', { error: 'not an event log', failure: 'input' }))).toBe(
      `${source}: failed: not an event log (it can never be ingested as it is: its message is in the dead-letter queue; upload a fixed version, then npm run redrive)`,
    );
    expect(line(buildReport(source, 'failed', { error: 'NoHostAvailable', failure: 'transient' }))).toBe(
      `${source}: failed: NoHostAvailable (its message is in the dead-letter queue: npm run redrive once the cause is fixed)`,
    );
  });
});

describe('firstRejects', () => {
  it('reads the first rejected rows from the head of the rejects object, skipping a cut-off last line', async () => {
    const requests: GetObjectCommand['input'][] = [];
    const lines = [1, 2, 3, 4].map((n) => JSON.stringify({ line: n + 1, reason: `reason ${n}`, raw: 'x' }));
    const reader: ObjectReader = {
      async send(command: GetObjectCommand) {
        requests.push(command.input);
        return {
          Body: { transformToString: async () => `${lines.slice(0, 2).join('\n')}\n{"line": 9, "rea` },
        };
      },
    };
    await expect(firstRejects(reader, 's3://out/rejected/incoming/a b.csv.jsonl')).resolves.toEqual([
      { line: 2, reason: 'reason 1' },
      { line: 3, reason: 'reason 2' },
    ]);
    expect(requests).toEqual([
      { Bucket: 'out', Key: 'rejected/incoming/a b.csv.jsonl', Range: 'bytes=0-65535' },
    ]);
  });
});

describe('pickExamples', () => {
  it('passes over a file that is not an event log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'examples-'));
    const png = join(dir, 'day.csv');
    writeFileSync(
      png,
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0xff, 0xfe]),
    );
    const log = join(dir, 'good.csv');
    writeFileSync(
      log,
      'artist,auth,firstName,gender,itemInSession,lastName,length,level,location,method,page,registration,sessionId,song,status,ts,userId\r\n' +
        'Band,Logged In,Ann,F,3,Lee,100,free,"City, ST",PUT,NextSong,,4242,Tune,200,1,77\r\n',
    );
    await expect(pickExamples([png, log])).resolves.toEqual({
      q1: { sessionId: 4242, itemInSession: 3 },
      q2: { userId: 77, sessionId: 4242 },
      q3: { song: 'Tune' },
    });
  });
});
