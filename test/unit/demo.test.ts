import { EventEmitter } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { PutObjectCommand } from '@aws-sdk/client-s3';
import { BUCKET_TRIGGER_SUFFIXES } from '../../lib/events/formats';
import { handleInterrupts, Interrupted, type SignalSource } from '../../scripts/demo/interrupt';
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
