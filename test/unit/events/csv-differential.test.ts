// The CSV reader's scanner against csv-parse alone (the reader with `scanner: false`): for any text
// after a valid header, well-formed or broken, in any chunking, both read the same records (fields,
// line, original text, reject reason), end at the same offset, or fail with the same InputError.
// This is what lets the scanner take the well-formed records while csv-parse keeps its rules for
// the rest.
import fc from 'fast-check';
import { type CsvOptions, csvRecords } from '../../../lib/events/csv';
import { REQUIRED_FIELDS, START_OF_OBJECT } from '../../../lib/events/event';

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const COLUMNS = [...REQUIRED_FIELDS, 'ts'];

async function* chunked(bytes: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  let i = 0;
  for (let k = 0; i < bytes.length; k++) {
    // Whole characters only, as the reader gets them (input.ts).
    let end = Math.min(bytes.length, i + Math.max(1, sizes[k % sizes.length] ?? 1));
    while (end < bytes.length && ((bytes[end] as number) & 0xc0) === 0x80) end++;
    yield bytes.subarray(i, end);
    i = end;
  }
}

async function read(bytes: Buffer, sizes: number[], options: CsvOptions) {
  const records: unknown[] = [];
  let offset = 0;
  try {
    for await (const batch of csvRecords(chunked(bytes, sizes), START_OF_OBJECT, options)) {
      for (const r of batch.records)
        records.push({
          kind: r.kind,
          line: r.line,
          fields: r.fields,
          raw: r.raw,
          reason: r.kind === 'malformed' ? r.reason : undefined,
        });
      expect(batch.end.offset).toBeGreaterThanOrEqual(offset);
      offset = batch.end.offset;
    }
  } catch (err: unknown) {
    return { error: (err as Error).message, records };
  }
  return { records, offset };
}

/** The scanner's reading of text, checked to be csv-parse's. */
async function readBoth(text: string, sizes: number[]) {
  const bytes = Buffer.from(text);
  const scanned = await read(bytes, sizes, {});
  expect(scanned).toEqual(await read(bytes, sizes, { scanner: false }));
  return scanned;
}

const both = async (text: string, sizes: number[]): Promise<void> => {
  await readBoth(text, sizes);
};

const chunkSizes = fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 8 });
const header = COLUMNS.join(',');

describe('the CSV scanner reads what csv-parse reads', () => {
  it('for any text of quotes, commas, line endings and characters after a header', async () => {
    const body = fc.string({
      unit: fc.constantFrom(',', '"', '""', '\n', '\r', '\r\n', 'a', '1', ' ', 'é', '🎵', '\uFEFF'),
      maxLength: 400,
    });
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.constantFrom('\n', '\r\n', '\r'),
        body,
        chunkSizes,
        (bom, eol, tail, sizes) => both(`${bom ? '\uFEFF' : ''}${header}${eol}${tail}`, sizes),
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it('for rows of quoted and plain fields, some broken on purpose', async () => {
    const field = fc.oneof(
      fc.string({ unit: fc.constantFrom('a', 'b', ' ', 'é', '-'), maxLength: 6 }),
      fc
        .string({ unit: fc.constantFrom('a', ',', '""', '\n', '\r\n', ' '), maxLength: 8 })
        .map((v) => `"${v}"`),
      // Broken: a quote inside a plain field, text after a closing quote, a quote never closed.
      fc.constantFrom('a"b', '"a"b', '"open', 'x""'),
    );
    const row = fc.array(field, { minLength: 1, maxLength: COLUMNS.length + 2 }).map((f) => f.join(','));
    await fc.assert(
      fc.asyncProperty(
        fc.array(row, { maxLength: 12 }),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        chunkSizes,
        (rows, eol, finalEol, sizes) => both([header, ...rows].join(eol) + (finalEol ? eol : ''), sizes),
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it('for a well-formed log, with the records and offsets a reader needs', async () => {
    const text = `\uFEFF${header}\r\nNextSong,"A, B","say ""hi""",1.5,1,2,3,Ann,"multi\r\nline",9\r\n\r\nHome,,,,,,,,,1\r\n`;
    const { records, offset } = await readBoth(text, [7, 3]);
    expect(offset).toBe(Buffer.byteLength(text));
    expect(records).toEqual([
      expect.objectContaining({
        kind: 'event',
        line: 2,
        fields: expect.objectContaining({ artist: 'A, B', song: 'say "hi"', lastName: 'multi\r\nline' }),
      }),
      expect.objectContaining({
        kind: 'event',
        line: 5,
        fields: expect.objectContaining({ page: 'Home', ts: '1' }),
      }),
    ]);
  });
});
