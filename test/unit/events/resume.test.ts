// Checkpoints at record boundaries: every position a reader reports after a batch must be one a
// resumed read can start from and read exactly the records that came after it, whatever the chunk
// edges split (a quoted newline, a CRLF pair, a multi-byte character), plain or gzip.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ReadPosition } from '../../../lib/events/event';
import { openRecords, type ResumeFrom } from '../../../lib/events/input';
import { chunked, plainRecord } from '../../support/records';

const fixture = (name: string) => readFileSync(join(__dirname, '..', '..', 'fixtures', name));

interface Read {
  records: ReturnType<typeof plainRecord>[];
  /** Each batch's end position, with how many records came before it. */
  ends: { position: ReadPosition; before: number }[];
  format: ResumeFrom['format'];
  compressed: boolean;
}

async function readAll(bytes: Buffer, name: string, size: number, resume?: ResumeFrom): Promise<Read> {
  const input = await openRecords(chunked(bytes, size), name, resume);
  const records: ReturnType<typeof plainRecord>[] = [];
  const ends: Read['ends'] = [];
  for await (const batch of input.batches) {
    records.push(...batch.records.map(plainRecord));
    ends.push({ position: batch.end, before: records.length });
  }
  return { records, ends, format: input.format, compressed: input.compressed };
}

const HEADER =
  'artist,auth,firstName,gender,itemInSession,lastName,length,level,location,method,page,registration,sessionId,song,status,ts,userId';
const jsonLine = (i: number, song: string) =>
  JSON.stringify({ page: 'NextSong', artist: 'Sigur Rós', song, sessionId: 1, itemInSession: i, userId: 9 });

const cases: [string, string, Buffer][] = [
  [
    'the quirks CSV (BOM, CRLF, quoted comma and newline, multi-byte names)',
    'day.csv',
    fixture('quirks.csv'),
  ],
  [
    'a CSV whose last record has no line break and whose quoted field spans lines',
    'x.csv',
    Buffer.from(
      `${HEADER}\n"A\nB",Logged In,Zoë,F,0,Ł,1,free,,PUT,NextSong,,1,"Jóga, live",200,1,2\nÇa,Logged In,A,F,1,B,,free,,GET,Home,,1,,200,1,2`,
    ),
  ],
  [
    'a CSV with an unterminated quote that runs to the end',
    'x.csv',
    Buffer.from(
      `${HEADER}\n,Logged In,A,F,0,B,,free,,GET,Home,,1,,200,1,2\nX,Logged In,A,F,1,B,1,free,"open,GET,NextSong,,1,S,200,1,2\nmore\n`,
    ),
  ],
  [
    'JSON lines with CRLF, a blank line, multi-byte characters and an invalid line',
    'x.jsonl',
    Buffer.from(
      `\uFEFF${jsonLine(0, 'Hoppípolla')}\r\n\r\n${jsonLine(1, '日本語のうた')}\r\nnot json\r\n${jsonLine(2, 'Ça plane')}`,
    ),
  ],
];

describe.each(cases)('resuming %s', (_name, name, bytes) => {
  it.each([1, 2, 3, 7, 64])(
    'from every batch end, in chunks of %d bytes, reads exactly what followed',
    async (size) => {
      const whole = await readAll(bytes, name, size);
      expect(whole.records.length).toBeGreaterThan(0);
      for (const { position, before } of whole.ends) {
        const from: ResumeFrom = { position, format: whole.format, compressed: false };
        const rest = await readAll(bytes.subarray(position.offset), name, size, from);
        expect(rest.records).toEqual(whole.records.slice(before));
      }
    },
  );

  it('from a gzip checkpoint (inflating from the start and skipping to the offset)', async () => {
    const gz = gzipSync(bytes);
    const whole = await readAll(gz, `${name}.gz`, 5);
    expect(whole.compressed).toBe(true);
    expect(whole.records).toEqual((await readAll(bytes, name, 5)).records);
    for (const { position, before } of whole.ends) {
      const from: ResumeFrom = { position, format: whole.format, compressed: true };
      const rest = await readAll(gz, `${name}.gz`, 5, from);
      expect(rest.records).toEqual(whole.records.slice(before));
    }
  });
});

it('positions end where records end: the offsets are those of line starts in the bytes', async () => {
  const bytes = fixture('quirks.csv');
  const whole = await readAll(bytes, 'day.csv', 3);
  for (const { position } of whole.ends) {
    expect(position.offset).toBeGreaterThan(0);
    expect(bytes[position.offset - 1]).toBe(0x0a); // every record of the fixture ends with CRLF
  }
  expect(whole.ends.at(-1)?.position.offset).toBe(bytes.length);
});
