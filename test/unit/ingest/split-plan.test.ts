// Splits at true record boundaries (lib/ingest/split-plan.ts): for any text, well-formed or broken,
// plain or gzip, and any split size down to one byte (so that a split point falls on every quoted
// line feed, CRLF pair and multi-byte character), reading each split on its own and putting the
// records together gives exactly the records of the whole read: fields, lines, original text and
// reject reasons, none lost, none twice.
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { REQUIRED_FIELDS } from '../../../lib/events/event';
import { openRecords } from '../../../lib/events/input';
import {
  GZIP_TEXT_PER_BYTE,
  type PlannedSplit,
  planSplits,
  type SplitPlan,
  type SplitTextSink,
  splitRecords,
} from '../../../lib/ingest/split-plan';
import { chunked, plainRecord } from '../../support/records';

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const HEADER = [...REQUIRED_FIELDS, 'ts'].join(',');

async function records(input: Awaited<ReturnType<typeof openRecords>>, expectEnd?: number) {
  const out: ReturnType<typeof plainRecord>[] = [];
  let end = 0;
  for await (const batch of input.batches) {
    out.push(...batch.records.map(plainRecord));
    end = batch.end.offset;
  }
  if (expectEnd !== undefined) expect(end).toBe(expectEnd);
  return out;
}

/** Collects a gzip plan's split texts, checking they come in order and each ends once. */
class MemorySink implements SplitTextSink {
  texts: Buffer[][] = [];
  ended: number[] = [];
  async write(split: number, bytes: Buffer) {
    expect(this.ended).not.toContain(split);
    expect(split).toBeGreaterThanOrEqual(this.texts.length - 1);
    this.texts[split] ??= [];
    this.texts[split].push(Buffer.from(bytes));
  }
  async end(split: number) {
    expect(this.ended).not.toContain(split);
    this.ended.push(split);
  }
  text(split: number) {
    return Buffer.concat(this.texts[split] ?? []);
  }
}

/** The records of one split, read from its own text only, as its invocation would. */
async function readSplit(plan: SplitPlan, split: PlannedSplit, text: Buffer, name: string, chunk: number) {
  return records(await splitRecords(chunked(text, chunk), name, plan, split, split.start), split.end);
}

/** Like checkSplits, for an object its reader reads (the plan is returned). */
async function splitsReadTheWhole(object: Buffer, name: string, splitBytes: number, chunk: number) {
  const plan = await checkSplits(object, name, splitBytes, chunk);
  if (!plan) throw new Error('the whole read refused the object');
  return plan;
}

/**
 * Plans object with splitBytes and checks the splits read exactly what the whole object reads, or
 * that the plan refuses what the whole read refuses; the plan, when there is one.
 */
async function checkSplits(object: Buffer, name: string, splitBytes: number, chunk: number) {
  const sink = new MemorySink();
  const read = (async () => records(await openRecords(chunked(object, chunk), name)))();
  const planned = planSplits(chunked(object, chunk), name, splitBytes, sink);
  // An object the whole read refuses (not an event log) is refused by its plan, for the same reason.
  const refused = await read.then(
    () => undefined,
    (err: Error) => err,
  );
  if (refused) {
    await expect(planned).rejects.toThrow(refused.message);
    return undefined;
  }
  const whole = await read;
  const plan = await planned;
  const text = plan.compressed ? Buffer.concat(sink.texts.map((t) => Buffer.concat(t))) : object;
  expect(plan.textBytes).toBe(text.length);
  // The splits tile the text: each starts where the one before ended.
  expect(plan.splits[0]?.start.offset).toBe(0);
  plan.splits.forEach((s, i) => {
    expect(s.index).toBe(i);
    expect(s.end).toBeGreaterThan(s.start.offset);
    if (i > 0) expect(s.start.offset).toBe(plan.splits[i - 1]?.end);
    // Every split but the last is at least splitBytes of text (GZIP_TEXT_PER_BYTE times that, gzip).
    if (i < plan.splits.length - 1)
      expect(s.end - s.start.offset).toBeGreaterThanOrEqual(
        plan.compressed ? splitBytes * GZIP_TEXT_PER_BYTE : splitBytes,
      );
  });
  expect(plan.splits.at(-1)?.end).toBe(text.length);
  if (plan.compressed) {
    expect(sink.ended).toEqual(plan.splits.map((s) => s.index));
    plan.splits.forEach((s) => {
      expect(sink.text(s.index).equals(text.subarray(s.start.offset, s.end))).toBe(true);
    });
  }
  const joined = [];
  for (const s of plan.splits) {
    joined.push(...(await readSplit(plan, s, text.subarray(s.start.offset, s.end), name, chunk)));
  }
  expect(joined).toEqual(whole);
  return plan;
}

const row = (i: number, song: string, last = 'Ł') =>
  `NextSong,"Sigur Rós, live","${song}",${200 + i},1,${i},9,Zoë,"${last}",${1000 + i}`;

describe('planSplits', () => {
  it('cuts a log into splits of at least the split size, ending at record boundaries', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => row(i, `song\n${i}`));
    const object = Buffer.from(`${HEADER}\r\n${rows.join('\r\n')}\r\n`);
    const plan = await splitsReadTheWhole(object, 'x.csv', 600, 64);
    expect(plan.splits.length).toBeGreaterThan(3);
    expect(plan).toMatchObject({ format: 'csv', compressed: false });
    // Well-formed: the byte scan found every boundary, the reader parsed nothing.
    expect(plan.readerFrom).toBeUndefined();
    // A later split knows the header read before it, and the line it begins on.
    expect(plan.splits[1]?.start.header).toEqual(HEADER.split(','));
    expect(plan.splits[1]?.start.line).toBeGreaterThan(2);
  });

  it('makes one split of an object no longer than the split size', async () => {
    const object = Buffer.from(`${HEADER}\n${row(0, 'a')}\n`);
    const plan = await splitsReadTheWhole(object, 'x.csv', object.length, 5);
    expect(plan.splits).toEqual([
      { index: 0, start: { offset: 0, line: 1, header: undefined }, end: object.length },
    ]);
  });

  it('splits gzip through the sink, with the inflated text as the splits\u2019 input', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => row(i, `日本語\r\n${i}`));
    const object = gzipSync(Buffer.from(`\uFEFF${HEADER}\n${rows.join('\n')}`));
    // A gzip object's splits hold GZIP_TEXT_PER_BYTE times the split size of text: 400 bytes here.
    const plan = await splitsReadTheWhole(object, 'x.csv.gz', 50, 33);
    expect(plan.compressed).toBe(true);
    expect(plan.splits.length).toBeGreaterThan(3);
  });

  it('hands the rest to the reader at the first broken record, from the boundary before it', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => row(i, i === 12 ? 'bro"ken' : `s${i}`));
    // Row 12's song is "bro"ken": text after a closing quote, which only csv-parse may judge.
    const object = Buffer.from(`${HEADER}\n${rows.join('\n')}\n`);
    const plan = await splitsReadTheWhole(object, 'x.csv', 300, 50);
    const broken = object.indexOf('bro"ken');
    expect(plan.readerFrom).toBeLessThan(broken);
    expect(object.subarray(0, plan.readerFrom).toString()).toMatch(/\n$/);
    expect(plan.splits.length).toBeGreaterThan(5);
  });

  it('fails a split read that does not end where the plan said, as a defect', async () => {
    const object = Buffer.from(
      `${HEADER}\n${Array.from({ length: 20 }, (_, i) => row(i, 's')).join('\n')}\n`,
    );
    const plan = await planSplits(chunked(object, 64), 'x.csv', 200);
    const second = plan.splits[1] as PlannedSplit;
    // The text one record short, or a byte long: the reader cannot end at the split's end.
    for (const text of [
      object.subarray(second.start.offset, object.lastIndexOf('\n', second.end - 2) + 1),
      object.subarray(second.start.offset, second.end + 1),
    ]) {
      await expect(
        records(await splitRecords(chunked(text, 64), 'x.csv', plan, second, second.start)),
      ).rejects.toThrow(/split 2 was read to byte \d+; it ends at/);
    }
  });

  it('refuses to split gzip without a sink for the text, and a split size below one byte', async () => {
    const object = gzipSync(Buffer.from(`${HEADER}\n${row(0, 'a')}\n`));
    await expect(planSplits(chunked(object, 8), 'x.csv.gz', 10)).rejects.toThrow(/sink/);
    await expect(planSplits(chunked(object, 8), 'x.csv.gz', 0, new MemorySink())).rejects.toThrow(
      /at least one byte/,
    );
  });

  it('splits JSON lines, with CRLF, blank lines and invalid lines at the edges', async () => {
    const line = (i: number) =>
      JSON.stringify({
        page: 'NextSong',
        artist: 'Sigur Rós',
        song: `日本${i}`,
        sessionId: 1,
        itemInSession: i,
        userId: 9,
      });
    const text = Array.from({ length: 25 }, (_, i) =>
      i % 7 === 3 ? 'not json' : i % 5 === 0 ? '' : line(i),
    ).join('\r\n');
    for (const size of [1, 17, 100, 400]) {
      await splitsReadTheWhole(Buffer.from(text), 'x.jsonl', size, 13);
      await splitsReadTheWhole(gzipSync(Buffer.from(text)), 'x.jsonl.gz', size, 13);
    }
  });

  it('for any text after a header, broken or not, at any split size and chunking', async () => {
    const field = fc.oneof(
      fc.string({ unit: fc.constantFrom('a', 'b', ' ', 'é', '🎵', '-', '\r'), maxLength: 6 }),
      fc
        .string({ unit: fc.constantFrom('a', ',', '""', '\n', '\r\n', ' ', '日'), maxLength: 8 })
        .map((v) => `"${v}"`),
      // Broken: a quote inside a plain field, text after a closing quote, a quote never closed.
      fc.constantFrom('a"b', '"a"b', '"open', 'x""'),
    );
    const rows = fc.array(
      fc.array(field, { minLength: 1, maxLength: 12 }).map((f) => f.join(',')),
      { maxLength: 14 },
    );
    await fc.assert(
      fc.asyncProperty(
        rows,
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 1, max: 64 }),
        fc.boolean(),
        async (r, eol, gz, finalEol, splitBytes, chunk, bom) => {
          const text = Buffer.from((bom ? '\uFEFF' : '') + [HEADER, ...r].join(eol) + (finalEol ? eol : ''));
          await checkSplits(gz ? gzipSync(text) : text, gz ? 'x.csv.gz' : 'x.csv', splitBytes, chunk);
        },
      ),
      { numRuns: RUNS },
    );
  }, 120_000);

  it('for any JSON lines, blank, invalid or with a lone CR, at any split size and chunking', async () => {
    const line = fc.constantFrom(
      JSON.stringify({
        page: 'NextSong',
        artist: 'Sigur Rós',
        song: '日本',
        sessionId: 1,
        itemInSession: 2,
        userId: 9,
      }),
      '{"page":"Home","userId":"x"}',
      'not json',
      'not json',
      'not json',
      '[1, 2]',
      '',
      ' \r',
      '{',
      '"日本"',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { maxLength: 40 }),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 64 }),
        async (lines, eol, gz, splitBytes, chunk) => {
          // No event first: the reader's probe (are these JSON lines at all?) must decide alike.
          const text = Buffer.from(lines.join(eol));
          await checkSplits(gz ? gzipSync(text) : text, gz ? 'x.jsonl.gz' : 'x.jsonl', splitBytes, chunk);
        },
      ),
      { numRuns: RUNS },
    );
  }, 120_000);
});
