// Property-based tests of the readers (fast-check): whatever the fields hold and wherever the chunks
// split, CSV and JSON lines read back exactly what was written, resume exactly from every batch
// end, and arbitrary bytes end in records or in an InputError, never in anything else.
import fc from 'fast-check';
import { type ParsedRecord, REQUIRED_FIELDS } from '../../../lib/events/event';
import { openRecords, type ResumeFrom } from '../../../lib/events/input';
import { InputError } from '../../../lib/events/input-error';

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);

async function* chunked(bytes: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  let i = 0;
  for (let k = 0; i < bytes.length; k++) {
    const size = Math.max(1, sizes[k % sizes.length] ?? 1);
    yield bytes.subarray(i, i + size);
    i += size;
  }
}

interface Read {
  records: ParsedRecord[];
  ends: { offset: number; before: number; position: ResumeFrom['position'] }[];
  format: ResumeFrom['format'];
}

async function readAll(bytes: Buffer, name: string, sizes: number[], resume?: ResumeFrom): Promise<Read> {
  const input = await openRecords(chunked(bytes, sizes), name, resume);
  const records: ParsedRecord[] = [];
  const ends: Read['ends'] = [];
  for await (const batch of input.batches) {
    records.push(...batch.records);
    ends.push({ offset: batch.end.offset, before: records.length, position: batch.end });
  }
  return { records, ends, format: input.format };
}

const plain = (r: ParsedRecord) => ({ kind: r.kind, line: r.line, fields: r.fields, raw: r.raw });

/** Any text a field may hold, quotes, commas, line breaks and all, but not the empty string alone. */
const fieldText = fc.string({
  unit: fc.constantFrom('a', 'Ö', '日', '"', ',', '\n', '\r', ' ', '🎵', 'x', '\\'),
  maxLength: 12,
});
const COLUMNS = [...REQUIRED_FIELDS, 'ts', 'location'];

const csvField = (v: string) =>
  /[",\r\n]/.test(v) || v.trim() !== v || v === '' ? `"${v.replace(/"/g, '""')}"` : v;

const chunkSizes = fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 8 });

describe('the CSV reader, for any fields and any chunking', () => {
  it('reads back exactly the records written, and resumes from every batch end to the same records', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fieldText, { minLength: COLUMNS.length, maxLength: COLUMNS.length }), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.constantFrom('\n', '\r\n'),
        chunkSizes,
        async (rows, eol, sizes) => {
          // A row whose fields are all blank is a blank line to the reader; keep every row a record.
          const records = rows.map((r) =>
            r.map((v, i) => (i === 0 && r.every((f) => f.trim() === '') ? 'x' : v)),
          );
          const text = [COLUMNS.join(','), ...records.map((r) => r.map(csvField).join(','))].join(eol) + eol;
          const bytes = Buffer.from(text);
          const whole = await readAll(bytes, 'x.csv', sizes);
          expect(whole.records.map((r) => r.kind)).toEqual(records.map(() => 'event'));
          expect(whole.records.map((r) => COLUMNS.map((c) => r.fields?.[c]))).toEqual(records);
          for (const end of whole.ends) {
            const rest = await readAll(bytes.subarray(end.offset), 'x.csv', sizes, {
              position: end.position,
              format: 'csv',
              compressed: false,
            });
            expect(rest.records.map(plain)).toEqual(whole.records.slice(end.before).map(plain));
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('the JSON lines reader, for any values and any chunking', () => {
  it('reads back exactly the objects written, and resumes from every batch end to the same records', async () => {
    const event = fc.record({
      page: fc.constantFrom('NextSong', 'Home'),
      artist: fc.option(fieldText, { nil: null }),
      song: fc.option(fieldText, { nil: null }),
      sessionId: fc.integer(),
      itemInSession: fc.nat(),
      userId: fc.oneof(fc.integer().map(String), fc.constant('')),
      extra: fc.jsonValue(),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(event, { minLength: 1, maxLength: 12 }),
        fc.constantFrom('\n', '\r\n'),
        chunkSizes,
        async (events, eol, sizes) => {
          const bytes = Buffer.from(events.map((e) => JSON.stringify(e)).join(eol) + eol);
          const whole = await readAll(bytes, 'x.jsonl', sizes);
          expect(whole.records.map((r) => r.fields)).toEqual(
            events.map((e) => JSON.parse(JSON.stringify(e))),
          );
          for (const end of whole.ends) {
            const rest = await readAll(bytes.subarray(end.offset), 'x.jsonl', sizes, {
              position: end.position,
              format: 'jsonl',
              compressed: false,
            });
            expect(rest.records.map(plain)).toEqual(whole.records.slice(end.before).map(plain));
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('either reader, for arbitrary bytes', () => {
  it.each(['x.csv', 'x.jsonl'])(
    '%s: records in line order with offsets inside the object, or an InputError',
    async (name) => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), chunkSizes, async (data, sizes) => {
          const bytes = Buffer.from(data);
          let read: Read;
          try {
            read = await readAll(bytes, name, sizes);
          } catch (err: unknown) {
            expect(err).toBeInstanceOf(InputError);
            expect((err as Error).message.length).toBeGreaterThan(10);
            return;
          }
          const lines = read.records.map((r) => r.line);
          expect([...lines].sort((a, b) => a - b)).toEqual(lines);
          for (const [i, end] of read.ends.entries()) {
            expect(end.offset).toBeLessThanOrEqual(bytes.length);
            if (i > 0) expect(end.offset).toBeGreaterThanOrEqual(read.ends[i - 1]?.offset ?? 0);
          }
        }),
        { numRuns: RUNS * 2 },
      );
    },
  );

  it.each(['x.csv', 'x.jsonl'])(
    '%s: a valid start followed by any text: records or an InputError',
    async (name) => {
      const head =
        name === 'x.csv'
          ? `${COLUMNS.join(',')}\n`
          : `${JSON.stringify({ page: 'NextSong', artist: 'a', song: 's', sessionId: 1, itemInSession: 1, userId: '2' })}\n`;
      const noise = fc.string({
        unit: fc.constantFrom(',', '"', '\n', '\r', 'a', '1', '{', '}', '[', ':', ' ', 'é'),
        maxLength: 300,
      });
      await fc.assert(
        fc.asyncProperty(noise, chunkSizes, async (tail, sizes) => {
          const bytes = Buffer.from(head + tail);
          try {
            const read = await readAll(bytes, name, sizes);
            for (const end of read.ends) expect(end.offset).toBeLessThanOrEqual(bytes.length);
            expect(read.records.every((r) => r.kind === 'event' || r.reason.length > 0)).toBe(true);
          } catch (err: unknown) {
            expect(err).toBeInstanceOf(InputError);
          }
        }),
        { numRuns: RUNS * 2 },
      );
    },
  );
});
