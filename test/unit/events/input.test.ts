import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ParsedRecord } from '../../../lib/events/event';
import { openRecords } from '../../../lib/events/input';
import { InputError } from '../../../lib/events/input-error';

const fixture = (name: string) => readFileSync(join(__dirname, '..', '..', 'fixtures', name));

/** Feeds the bytes in small chunks, so multi-byte characters and CRLF pairs straddle chunk edges. */
async function* chunked(bytes: Buffer, size = 7): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function read(bytes: Buffer | string, name: string, chunkSize?: number) {
  const input = await openRecords(chunked(Buffer.from(bytes), chunkSize), name);
  const records: ParsedRecord[] = [];
  for await (const batch of input.batches) records.push(...batch.records);
  return { format: input.format, compressed: input.compressed, records };
}

const HEADER =
  'artist,auth,firstName,gender,itemInSession,lastName,length,level,location,method,page,registration,sessionId,song,status,ts,userId';

function events(records: ParsedRecord[]) {
  return records.filter((r): r is Extract<ParsedRecord, { kind: 'event' }> => r.kind === 'event');
}

describe('openRecords on CSV', () => {
  it('reads the quirks fixture: BOM, CRLF, quoted commas, doubled quotes and a newline inside quotes', async () => {
    const { format, compressed, records } = await read(fixture('quirks.csv'), 'raw/2018-11-01-events.csv');
    expect(format).toBe('csv');
    expect(compressed).toBe(false);
    expect(records).toHaveLength(14);
    const byLine = new Map(records.map((r) => [r.line, r]));
    const quoted = byLine.get(4);
    expect(quoted?.kind === 'event' && quoted.fields.song).toBe(
      'He Said "Hi", Then Left / Why? (Live) & More',
    );
    expect(quoted?.kind === 'event' && quoted.fields.location).toBe('Phoenix-Mesa-Scottsdale, AZ');
    const multiline = byLine.get(7);
    expect(multiline?.kind === 'event' && multiline.fields.song).toBe('First line\r\nsecond line');
    // The record after the two-line one starts on line 9.
    expect(byLine.get(9)?.kind === 'event' && byLine.get(9)).toMatchObject({ fields: { artist: 'Ghost' } });
    expect(events(records)[0]?.fields.artist).toBe(''); // first column of the BOM-prefixed header
    expect(byLine.get(6)?.kind === 'event' && byLine.get(6)).toMatchObject({
      fields: { artist: 'Björk', firstName: 'Zoë', lastName: 'Łukasiewicz', song: 'Jóga' },
    });
  });

  it('maps columns by name, in whatever order the header lists them', async () => {
    const csv =
      'userId,song,page,sessionId,itemInSession,artist,length,firstName,lastName\n7,Song,NextSong,3,0,Band,1.5,A,B\n';
    const { records } = await read(csv, 'x.csv');
    expect(records).toEqual([
      expect.objectContaining({
        kind: 'event',
        line: 2,
        fields: {
          userId: '7',
          song: 'Song',
          page: 'NextSong',
          sessionId: '3',
          itemInSession: '0',
          artist: 'Band',
          length: '1.5',
          firstName: 'A',
          lastName: 'B',
        },
      }),
    ]);
    expect(records[0]?.raw).toBe('7,Song,NextSong,3,0,Band,1.5,A,B');
  });

  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ])('numbers lines the same with %s line endings and ignores blank lines', async (_name, eol) => {
    const csv = [
      HEADER,
      ',Logged In,A,F,0,B,,free,,GET,Home,,1,,200,1,2',
      '',
      ',Logged In,A,F,1,B,,free,,GET,Home,,1,,200,1,2',
      '',
    ].join(eol);
    const { records } = await read(csv, 'x.csv');
    expect(records.map((r) => r.line)).toEqual([2, 4]);
  });

  it('rejects a row with the wrong number of fields, keeping what it had', async () => {
    const { records } = await read(`${HEADER}\nShort,Logged In,A\n`, 'x.csv');
    expect(records).toEqual([
      expect.objectContaining({
        kind: 'malformed',
        line: 2,
        reason: 'expected 17 fields as in the header, found 3',
        raw: 'Short,Logged In,A',
        fields: { artist: 'Short', auth: 'Logged In', firstName: 'A' },
      }),
    ]);
  });

  it('keeps the text after an unterminated quote as one malformed record instead of losing it', async () => {
    const good = ',Logged In,A,F,0,B,,free,,GET,Home,,1,,200,1,2';
    const csv = `${HEADER}\n${good}\nX,Logged In,A,F,1,B,1,free,"unterminated,GET,NextSong,,1,S,200,1,2\n${good}\n`;
    const { records } = await read(csv, 'x.csv');
    expect(records.map((r) => [r.kind, r.line])).toEqual([
      ['event', 2],
      ['malformed', 3],
    ]);
    const bad = records[1];
    expect(bad?.kind === 'malformed' && bad.reason).toMatch(/Quote Not Closed/);
    expect(bad?.raw).toContain('"unterminated');
    expect(bad?.raw).toContain(good); // the swallowed line is in the reject, not dropped
  });

  it.each([
    ['a header only', `${HEADER}\r\n`],
    ['a header without a line break', HEADER],
  ])('yields no records for %s: a log of no events', async (_name, csv) => {
    const { records } = await read(csv, 'x.csv');
    expect(records).toEqual([]);
  });

  it.each([
    ['an empty object', ''],
    ['only a BOM and blank lines', '\uFEFF\r\n\r\n  \n'],
  ])('fails %s: it is no event log, not even an empty one', async (_name, body) => {
    await expect(read(body, 'x.csv')).rejects.toThrow('the object is empty: no header and no events');
  });

  it('treats mixed line endings as line endings, whatever the first line used', async () => {
    const csv =
      [HEADER, ',Logged In,A,F,0,B,,free,,GET,Home,,1,,200,1,2'].join('\r\n') +
      '\n,Logged In,A,F,1,B,,free,,GET,Home,,1,,200,1,2\r,Logged In,A,F,2,B,,free,,GET,Home,,1,,200,1,2\r\n';
    const { records } = await read(csv, 'x.csv');
    expect(records.map((r) => [r.kind, r.line])).toEqual([
      ['event', 2],
      ['event', 3],
      ['event', 4],
    ]);
  });

  it('keeps a repeated header row (files joined with cat) as a reject, not as an event', async () => {
    const csv = `${HEADER}\n,Logged In,A,F,0,B,,free,,GET,Home,,1,,200,1,2\n${HEADER}\n`;
    const { records } = await read(csv, 'x.csv');
    expect(records.map((r) => [r.kind, r.kind === 'malformed' ? r.reason : ''])).toEqual([
      ['event', ''],
      ['malformed', 'the header row again'],
    ]);
  });

  it.each([
    [
      'UTF-16 with its BOM',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(HEADER, 'utf16le')]),
      /UTF-16 text/,
    ],
    [
      'Latin-1',
      Buffer.concat([Buffer.from(`${HEADER}\n`), Buffer.from('Bj\xf6rk,Logged In\n', 'latin1')]),
      /not UTF-8 text: byte \d+ \(0xf6\)/,
    ],
  ])('fails text in another encoding than UTF-8 (%s), saying so', async (_name, bytes, message) => {
    await expect(read(bytes, 'x.csv')).rejects.toThrow(message);
  });

  it('fails with a clear error when the first line is not an event log header', async () => {
    await expect(read('name,age\nbob,3\n', 'people.csv')).rejects.toThrow(
      /line 1: not an event log header: missing column\(s\) page, artist, song/,
    );
  });

  it('fails with a clear error on binary garbage', async () => {
    const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
    const attempt = read(garbage, 'garbage.csv');
    await expect(attempt).rejects.toBeInstanceOf(InputError);
    await expect(attempt).rejects.toThrow(/not UTF-8 text/);
  });

  it('refuses a header that names a column twice', async () => {
    await expect(read(`${HEADER},page\n`, 'x.csv')).rejects.toThrow(/column "page" appears twice/);
  });
});

describe('openRecords on JSON lines', () => {
  const line = (o: object) => JSON.stringify(o);
  const play = {
    ts: 1541121934796,
    userId: '39',
    sessionId: 38,
    page: 'NextSong',
    auth: 'Logged In',
    method: 'PUT',
    status: 200,
    level: 'free',
    itemInSession: 1,
    location: 'San Francisco-Oakland-Hayward, CA',
    lastName: 'Frye',
    firstName: 'Walter',
    registration: 1540919166796,
    gender: 'M',
    artist: 'Mr Oizo',
    song: 'Flat 55',
    length: 144.03873,
  };

  it('reads one object per line with numbers as numbers and null for missing values', async () => {
    const home = { ...play, page: 'Home', artist: null, song: null, length: null, itemInSession: 0 };
    const { format, records } = await read(
      `${line(home)}\n${line(play)}\n`,
      'log_data/2018-11-01-events.json',
    );
    expect(format).toBe('jsonl');
    expect(events(records).map((r) => [r.line, r.fields.page, r.fields.length])).toEqual([
      [1, 'Home', null],
      [2, 'NextSong', 144.03873],
    ]);
  });

  it('handles a BOM, CRLF, blank lines and multi-byte characters split across chunks', async () => {
    const text = `\uFEFF${line({ ...play, artist: 'Björk', song: 'Jóga' })}\r\n\r\n${line(play)}\r\n`;
    const { records } = await read(text, 'x.jsonl', 3);
    expect(events(records).map((r) => [r.line, r.fields.artist])).toEqual([
      [1, 'Björk'],
      [3, 'Mr Oizo'],
    ]);
  });

  it('reports a line that is not JSON, or not an object, as malformed with its line number', async () => {
    const { records } = await read(`${line(play)}\n{"artist": "Unclosed\n[1,2]\n${line(play)}`, 'x.jsonl');
    expect(records.map((r) => [r.kind, r.line])).toEqual([
      ['event', 1],
      ['malformed', 2],
      ['malformed', 3],
      ['event', 4],
    ]);
    expect(records[1]?.kind === 'malformed' && records[1].reason).toMatch(/^invalid JSON/);
    expect(records[2]?.kind === 'malformed' && records[2].reason).toBe('a JSON line must hold an object');
  });

  it.each([
    [
      'a JSON array (a common export)',
      `[\n  ${line(play)},\n  ${line(play)}\n]\n`,
      /^a JSON array, not JSON lines/,
    ],
    ['a one-line JSON array', `[${line(play)},${line(play)}]`, /^a JSON array, not JSON lines/],
    [
      'a pretty-printed JSON document',
      `${JSON.stringify({ events: [play, play] }, null, 2)}\n`,
      /^a JSON document spread over several lines/,
    ],
    [
      'a JSON object that is not an event',
      `${line({ events: [play] })}\n`,
      /^not JSON lines: none of the first lines is an event object/,
    ],
    ['text that is not JSON', 'hello\nworld\n', /^not JSON lines/],
  ])('fails %s at once, instead of completing with every line rejected', async (_name, text, message) => {
    await expect(read(text, 'export.json')).rejects.toThrow(message);
  });

  it('keeps invalid lines among events as rejects: only an object with no event in its first lines fails', async () => {
    const text = `not json\n${'{"page": 1\n'.repeat(5)}${line(play)}\n`;
    const { records } = await read(text, 'x.jsonl');
    expect(records.map((r) => r.kind)).toEqual([...Array(6).fill('malformed'), 'event']);
  });
});

describe('openRecords format and compression detection', () => {
  const csv = fixture('quirks.csv');

  it.each([
    ['a .csv.gz name', 'x.csv.gz'],
    ['gzip bytes under a plain .csv name (Content-Encoding: gzip)', 'x.csv'],
  ])('gunzips %s', async (_case, name) => {
    const { compressed, format, records } = await read(gzipSync(csv), name);
    expect(compressed).toBe(true);
    expect(format).toBe('csv');
    expect(records).toHaveLength(14);
  });

  it('reads gzip-compressed JSON lines', async () => {
    const { compressed, format, records } = await read(
      gzipSync('{"page":"Home"}\n{"page":"Home"}\n'),
      'x.json.gz',
    );
    expect([compressed, format, records.length]).toEqual([true, 'jsonl', 2]);
  });

  it.each([
    ['JSON lines', '{"page":"Home"}\n', 'jsonl'],
    ['CSV', `${HEADER}\n`, 'csv'],
  ])('sniffs %s when the name has no known extension', async (_case, text, format) => {
    expect((await read(text, 'incoming/upload.bin')).format).toBe(format);
  });

  it('fails with a clear error on truncated gzip data', async () => {
    const gz = gzipSync(csv);
    await expect(read(gz.subarray(0, gz.length - 20), 'x.csv.gz')).rejects.toThrow(
      /gzip data is corrupt or truncated/,
    );
  });
});
