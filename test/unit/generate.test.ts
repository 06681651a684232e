// The synthetic event-log generator is what every other test and benchmark feeds on, so these pin down the
// properties they rely on: byte-for-byte determinism, the quirks of the real CSV exports, eventsim's JSON
// lines, session/timestamp invariants, Zipf-skewed plays, and awkward song titles.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { parseGenerateArgs, SYNOPSIS, UsageError } from '../../scripts/generate/args';
import { artistName } from '../../scripts/generate/artist-names';
import {
  Catalog,
  CSV_COLUMNS,
  CSV_HEADER,
  csvField,
  csvRow,
  excelNumber,
  type GeneratedEvent,
  generateEvents,
  outputFileNames,
  SESSION_ID_BASE,
  USER_ID_BASE,
  type WriteOptions,
  writeEventFiles,
} from '../../scripts/generate/index';

const root = mkdtempSync(join(tmpdir(), 'generate-'));
let dirs = 0;
function freshDir(): string {
  dirs += 1;
  return join(root, `out-${dirs}`);
}

async function writeAndRead(
  options: Omit<WriteOptions, 'outDir'>,
): Promise<{ dir: string; files: Buffer[] }> {
  const dir = freshDir();
  const summary = await writeEventFiles({ ...options, outDir: dir });
  return { dir, files: summary.files.map((f) => readFileSync(f.path)) };
}

function only<T>(items: T[]): T {
  expect(items).toHaveLength(1);
  const [item] = items;
  if (item === undefined) throw new Error('expected one item');
  return item;
}

function parseCsv(text: string): string[][] {
  return parse(text, { relax_column_count: true }) as string[][];
}

const events20k: GeneratedEvent[] = [...generateEvents({ events: 20_000, seed: 'unit', days: 1 })];
const plays20k = events20k.filter((e) => e.page === 'NextSong');

describe('determinism', () => {
  it('writes byte-identical files for the same seed and options', async () => {
    const options = { events: 3000, seed: 'same', files: 2, excelNumbers: true };
    const a = await writeAndRead(options);
    const b = await writeAndRead(options);
    expect(a.files).toHaveLength(2);
    a.files.forEach((file, i) => {
      expect(file.equals(b.files[i] ?? Buffer.alloc(0))).toBe(true);
    });
  });

  it('writes different content for a different seed', async () => {
    const a = await writeAndRead({ events: 2000, seed: 'one' });
    const b = await writeAndRead({ events: 2000, seed: 'two' });
    expect(only(a.files).equals(only(b.files))).toBe(false);
  });

  it('gives the same event stream whatever the format, compression or file count', async () => {
    const single = only((await writeAndRead({ events: 2500, seed: 'pack' })).files).toString('utf8');
    const split = (await writeAndRead({ events: 2500, seed: 'pack', files: 4, gzip: true })).files
      .map((gz) => gunzipSync(gz).toString('utf8').slice(CSV_HEADER.length))
      .join('');
    expect(CSV_HEADER + split).toBe(single);
  });
});

describe('CSV output', () => {
  const events = [...generateEvents({ events: 5000, seed: 'csv' })];
  let text = '';
  beforeAll(async () => {
    text = only((await writeAndRead({ events: 5000, seed: 'csv' })).files).toString('utf8');
  });

  it('starts with the exact header of the real exports', () => {
    expect(text.startsWith(CSV_HEADER)).toBe(true);
    expect(CSV_HEADER).toBe(
      'artist,auth,firstName,gender,itemInSession,lastName,length,level,location,method,page,registration,' +
        'sessionId,song,status,ts,userId\r\n',
    );
  });

  it('ends every line with CRLF, including the last one', () => {
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.replaceAll('\r\n', '')).not.toMatch(/[\r\n]/);
    expect(text.split('\r\n')).toHaveLength(events.length + 2);
  });

  it('round-trips through csv-parse with 17 fields per row and the generated values', () => {
    const [header, ...rows] = parseCsv(text);
    expect(header).toEqual([...CSV_COLUMNS]);
    expect(rows.filter((row) => row.length !== 17)).toEqual([]);
    const expected = events.map((event) =>
      CSV_COLUMNS.map((column) => {
        const value = event[column];
        return value === null ? '' : String(value);
      }),
    );
    expect(rows).toEqual(expected);
  });

  it('quotes fields holding commas or quotes, and only those', () => {
    expect(text).toMatch(/,"[^",]+-[^",]+, [A-Z]{2}",/);
    expect(csvField('Phoenix-Mesa-Scottsdale, AZ')).toBe('"Phoenix-Mesa-Scottsdale, AZ"');
    expect(csvField('Say "Hi"')).toBe('"Say ""Hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField("Don't / Stop? (Live) & #1 100% +")).toBe("Don't / Stop? (Live) & #1 100% +");
    expect(csvField(null)).toBe('');
  });

  it('writes registration and ts as integer milliseconds and length with at most 5 decimals', () => {
    const rows = parseCsv(text).slice(1);
    const bad = rows.filter(
      (row) =>
        !/^\d{13}$/.test(row[15] ?? '') ||
        (row[1] === 'Logged In' && !/^\d{13}$/.test(row[11] ?? '')) ||
        (row[10] === 'NextSong' && !/^\d{2,3}(\.\d{1,5})?$/.test(row[6] ?? '')),
    );
    expect(bad).toEqual([]);
  });

  it('writes spreadsheet-mangled numbers with --excel-numbers', async () => {
    expect(excelNumber(1541105830796)).toBe('1.54111E+12');
    expect(excelNumber(1541300000000)).toBe('1.5413E+12');
    expect(excelNumber(1540919166796)).toBe('1.54092E+12');
    const mangled = only((await writeAndRead({ events: 500, seed: 'csv', excelNumbers: true })).files);
    const rows = parseCsv(mangled.toString('utf8')).slice(1);
    expect(rows.filter((row) => !/^1\.\d{1,5}E\+12$/.test(row[15] ?? ''))).toEqual([]);
    expect(rows.some((row) => /^1\.\d{1,5}E\+12$/.test(row[11] ?? ''))).toBe(true);
  });

  it('leaves artist, song and length empty on non-play rows', () => {
    const home = events.find((e) => e.page === 'Home' && e.auth === 'Logged In');
    if (home === undefined) throw new Error('no Home event');
    const row = csvRow(home);
    expect(row.startsWith(',Logged')).toBe(true);
    expect(row.split(',')[6]).toBe('');
  });
});

describe('sessions and time', () => {
  it('numbers the events of each session 0, 1, 2, … without gaps', () => {
    const next = new Map<number, number>();
    const gaps: GeneratedEvent[] = [];
    for (const e of events20k) {
      if (e.itemInSession !== (next.get(e.sessionId) ?? 0)) gaps.push(e);
      next.set(e.sessionId, e.itemInSession + 1);
    }
    expect(gaps).toEqual([]);
    expect(next.size).toBeGreaterThan(100);
  });

  it('keeps one listener per session, with session ids increasing in order of first appearance', () => {
    const owner = new Map<number, string>();
    const problems: string[] = [];
    let lastNew = 0;
    for (const e of events20k) {
      if (e.itemInSession === 0) {
        if (e.sessionId <= lastNew) problems.push(`session ${e.sessionId} starts after ${lastNew}`);
        lastNew = e.sessionId;
      }
      if (e.userId === null) continue;
      const seen = owner.get(e.sessionId);
      if (seen === undefined) owner.set(e.sessionId, e.userId);
      else if (seen !== e.userId) problems.push(`session ${e.sessionId} has users ${seen} and ${e.userId}`);
    }
    expect(problems).toEqual([]);
  });

  it('keeps its ids far above those of the real logs (sessions up to 1,114, users up to 101)', () => {
    // Real files uploaded after the demo's generated ones share the keyspace: their sessions and
    // users must never be the generated ones.
    const sessions = events20k.map((e) => e.sessionId);
    const users = events20k.flatMap((e) => (e.userId === null ? [] : [Number(e.userId)]));
    expect(Math.min(...sessions)).toBe(SESSION_ID_BASE + 1);
    expect(Math.min(...users)).toBeGreaterThan(USER_ID_BASE);
    expect(SESSION_ID_BASE).toBeGreaterThanOrEqual(1_000_000);
    expect(USER_ID_BASE).toBeGreaterThanOrEqual(1_000_000);
    // Still Cassandra ints, with room for far larger logs than 20,000 events.
    expect(Math.max(...sessions) + 1_000_000).toBeLessThan(2 ** 31);
  });

  it('never lets ts go backwards', () => {
    const backwards = events20k.filter((e, i) => i > 0 && e.ts < (events20k[i - 1]?.ts ?? 0));
    expect(backwards).toEqual([]);
  });

  it('spreads the events over roughly the requested days, from the start time', () => {
    const first = events20k[0]?.ts ?? 0;
    const last = events20k[events20k.length - 1]?.ts ?? 0;
    const start = Date.UTC(2018, 10, 1);
    expect(first).toBeGreaterThanOrEqual(start);
    expect(first - start).toBeLessThan(3_600_000);
    const days = (last - first) / 86_400_000;
    expect(days).toBeGreaterThan(0.6);
    expect(days).toBeLessThan(1.5);
  });

  it('has short sessions mostly, and a few of several hundred events', () => {
    const sizes = new Map<number, number>();
    for (const e of events20k) sizes.set(e.sessionId, (sizes.get(e.sessionId) ?? 0) + 1);
    const lengths = [...sizes.values()].sort((a, b) => a - b);
    const median = lengths[Math.floor(lengths.length / 2)] ?? 0;
    expect(median).toBeGreaterThanOrEqual(3);
    expect(median).toBeLessThanOrEqual(30);
    expect(lengths.filter((n) => n >= 200).length).toBeGreaterThan(0);
  });
});

describe('pages and fields', () => {
  it('makes NextSong a plausible share of events (75–92%)', () => {
    const share = plays20k.length / events20k.length;
    expect(share).toBeGreaterThan(0.75);
    expect(share).toBeLessThan(0.92);
  });

  it('gives every play an artist, song, length and userId, and every other page none', () => {
    const badPlays = plays20k.filter(
      (e) =>
        !e.artist ||
        !e.song ||
        e.length === null ||
        e.length < 30 ||
        e.length > 600 ||
        !/^\d+$/.test(e.userId ?? '') ||
        e.auth !== 'Logged In',
    );
    expect(badPlays).toEqual([]);
    const badOthers = events20k.filter(
      (e) => e.page !== 'NextSong' && (e.artist !== null || e.song !== null || e.length !== null),
    );
    expect(badOthers).toEqual([]);
  });

  it('blanks the listener on logged-out events but keeps the level, as the real files do', () => {
    const out = events20k.filter((e) => e.auth === 'Logged Out');
    expect(out.length / events20k.length).toBeGreaterThan(0.005);
    expect(out.length / events20k.length).toBeLessThan(0.08);
    const listenerShown = out.filter((e) =>
      [e.userId, e.firstName, e.lastName, e.gender, e.location, e.registration].some((v) => v !== null),
    );
    expect(listenerShown).toEqual([]);
    expect(new Set(out.map((e) => e.level))).toEqual(new Set(['free', 'paid']));
    expect([...new Set(out.map((e) => e.page))].sort()).toEqual(['About', 'Help', 'Home', 'Login']);
  });

  it('uses the methods and statuses of the real logs per page', () => {
    const seen = new Map<string, string>();
    for (const e of events20k) seen.set(e.page, `${e.method} ${e.status}`);
    expect(seen.get('NextSong')).toBe('PUT 200');
    expect(seen.get('Home')).toBe('GET 200');
    expect(seen.get('Login')).toBe('PUT 307');
    expect(seen.get('Logout')).toBe('PUT 307');
    expect(seen.get('Error')).toBe('GET 404');
  });

  it('includes non-ASCII names somewhere', () => {
    const names = events20k.flatMap((e) => [
      e.firstName ?? '',
      e.lastName ?? '',
      e.artist ?? '',
      e.song ?? '',
    ]);
    expect(names.some((n) => /[^\x20-\x7e]/.test(n))).toBe(true);
  });
});

describe('songs', () => {
  it('skews plays Zipf-like: the top song is played far more than the median song', () => {
    const counts = new Map<string, number>();
    for (const e of plays20k)
      counts.set(`${e.artist}\u0000${e.song}`, (counts.get(`${e.artist}\u0000${e.song}`) ?? 0) + 1);
    const sorted = [...counts.values()].sort((a, b) => b - a);
    const top = sorted[0] ?? 0;
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
    expect(top).toBeGreaterThan(50 * median);
    expect(counts.size).toBeGreaterThan(1000);
  });

  it.each(['/', '?', '&', '#', '%', '+', "'", '"', '(', ')', ','])('has titles containing %s', (ch) => {
    expect(plays20k.some((e) => e.song?.includes(ch))).toBe(true);
  });

  it('has a title of 150+ characters and non-ASCII titles', () => {
    expect(plays20k.some((e) => (e.song?.length ?? 0) >= 150)).toBe(true);
    expect(plays20k.some((e) => /[^\x20-\x7e]/.test(e.song ?? ''))).toBe(true);
  });

  it('gives every catalog song a distinct (artist, title), the same each time it is derived', () => {
    const catalog = new Catalog(7, 16_000);
    const keys = new Set<string>();
    for (let id = 0; id < catalog.size; id++) {
      const song = catalog.song(id);
      keys.add(`${song.artist}\u0000${song.title}`);
    }
    expect(keys.size).toBe(catalog.size);
    expect(new Catalog(7, 16_000).song(15_999)).toEqual(catalog.song(15_999));
  });

  it('gives every artist a distinct name, also past the switch from 2- to 3-syllable names', () => {
    const names = new Set<string>();
    for (let artist = 0; artist < 8000; artist++) names.add(artistName(7, artist));
    expect(names.size).toBe(8000);
  });
});

describe('JSON lines', () => {
  let lines: string[] = [];
  const events = [...generateEvents({ events: 2000, seed: 'json' })];
  beforeAll(async () => {
    const text = only((await writeAndRead({ events: 2000, seed: 'json', format: 'jsonl' })).files).toString(
      'utf8',
    );
    expect(text.endsWith('\n')).toBe(true);
    expect(text).not.toContain('\r');
    lines = text.slice(0, -1).split('\n');
  });

  it('writes one valid JSON object per line with the generated values', () => {
    expect(lines).toHaveLength(2000);
    expect(lines.map((line) => JSON.parse(line))).toEqual(events);
  });

  it('keeps numbers as numbers, userId as a string, and null for missing values', () => {
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const wrong = parsed.filter(
      (row) =>
        Object.keys(row).join() !== CSV_COLUMNS.join() ||
        ['itemInSession', 'sessionId', 'status', 'ts'].some((key) => typeof row[key] !== 'number') ||
        (row.page === 'NextSong'
          ? typeof row.length !== 'number' || typeof row.song !== 'string'
          : row.artist !== null || row.song !== null || row.length !== null) ||
        (row.auth === 'Logged In'
          ? typeof row.userId !== 'string' || typeof row.registration !== 'number'
          : row.userId !== null || row.firstName !== null || row.registration !== null),
    );
    expect(wrong).toEqual([]);
    expect(parsed.some((row) => row.auth === 'Logged Out')).toBe(true);
  });

  it('gunzips --gzip output to exactly the uncompressed file', async () => {
    const plain = only((await writeAndRead({ events: 2000, seed: 'json', format: 'jsonl' })).files);
    const { dir, files } = await writeAndRead({ events: 2000, seed: 'json', format: 'jsonl', gzip: true });
    expect(readdirSync(dir)).toEqual(['events.jsonl.gz']);
    const gz = only(files);
    expect(gz.length).toBeLessThan(plain.length / 3);
    expect(gunzipSync(gz).equals(plain)).toBe(true);
  });
});

describe('files and summary', () => {
  it('splits --files F into F sortable files whose events add up to N', async () => {
    const dir = freshDir();
    const summary = await writeEventFiles({ events: 1001, seed: 'split', files: 7, outDir: dir });
    expect(readdirSync(dir)).toEqual(outputFileNames(7, 'csv', false));
    expect(readdirSync(dir)[0]).toBe('events-0001.csv');
    let total = 0;
    for (const file of summary.files) {
      const rows = parseCsv(readFileSync(file.path, 'utf8')).slice(1);
      expect(rows).toHaveLength(file.events);
      expect(file.bytes).toBe(readFileSync(file.path).length);
      expect(file.events === 143 || file.events === 142).toBe(true);
      total += rows.length;
    }
    expect(total).toBe(1001);
  });

  it('names a single file events.csv, events.jsonl or events.csv.gz', () => {
    expect(outputFileNames(1, 'csv', false)).toEqual(['events.csv']);
    expect(outputFileNames(1, 'jsonl', false)).toEqual(['events.jsonl']);
    expect(outputFileNames(2, 'csv', true)).toEqual(['events-0001.csv.gz', 'events-0002.csv.gz']);
  });

  it('reports counts in the summary that match the files', async () => {
    const dir = freshDir();
    const summary = await writeEventFiles({ events: 4000, seed: 'sum', outDir: dir });
    const rows = parseCsv(readFileSync(join(dir, 'events.csv'), 'utf8')).slice(1);
    const plays = rows.filter((r) => r[10] === 'NextSong');
    expect(summary.events).toBe(4000);
    expect(summary.plays).toBe(plays.length);
    expect(summary.users).toBe(new Set(rows.map((r) => r[16]).filter((u) => u !== '')).size);
    expect(summary.sessions).toBe(new Set(rows.map((r) => r[12])).size);
    expect(summary.songs).toBe(new Set(plays.map((r) => `${r[0]}\u0000${r[13]}`)).size);
    expect(summary.firstTs).toBe(new Date(Number(rows[0]?.[15])).toISOString());
  });

  it('rejects instead of hanging when the output directory cannot be created', async () => {
    const blocker = join(root, 'not-a-dir');
    writeFileSync(blocker, 'x');
    await expect(writeEventFiles({ events: 10, outDir: join(blocker, 'sub') })).rejects.toThrow();
  });
});

describe('argument parsing', () => {
  it('reads all options', () => {
    const parsed = parseGenerateArgs([
      '--events',
      '100',
      '--out=/tmp/x',
      '--format',
      'jsonl',
      '--gzip',
      '--seed',
      's',
      '--files',
      '4',
      '--start',
      '2019-01-01T00:00:00Z',
      '--days',
      '2.5',
    ]);
    expect(parsed).toEqual({
      help: false,
      options: {
        events: 100,
        outDir: '/tmp/x',
        format: 'jsonl',
        gzip: true,
        seed: 's',
        files: 4,
        excelNumbers: false,
        start: Date.UTC(2019, 0, 1),
        days: 2.5,
      },
    });
  });

  it.each([
    [['--out', 'x'], /--events is required/],
    [['--events', '10'], /--out is required/],
    [['--events', '0', '--out', 'x'], /--events must be a positive integer/],
    [['--events', '1.5', '--out', 'x'], /--events must be a positive integer/],
    [['--events', '-3', '--out', 'x'], /--events needs a value|--events must be/],
    [['--events', '10', '--out', 'x', '--format', 'xml'], /--format must be one of csv, jsonl/],
    [['--events', '10', '--out', 'x', '--bogus'], /unknown option --bogus/],
    [['--events', '10', '--out', 'x', '--files', '11'], /--files \(11\) cannot exceed --events/],
    [['--events', '10', '--out', 'x', '--format', 'jsonl', '--excel-numbers'], /--excel-numbers only/],
    [['--events', '10', '--out', 'x', '--events', '11'], /--events given more than once/],
    [['--events', '10', '--out', '--gzip'], /--out needs a value/],
    [['--events', '10', '--out', 'x', '--gzip=yes'], /--gzip takes no value/],
    [['--events', '10', '--out', 'x', '-hx'], /unknown option -hx/],
    [['--events', '10', '--out', 'x', '--', 'y'], /unknown option --$/],
    [['--events', '10', '--out', 'x', 'y'], /unexpected argument "y"/],
    [['--bogus', '--help'], /unknown option --bogus/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseGenerateArgs(argv)).toThrow(UsageError);
    expect(() => parseGenerateArgs(argv)).toThrow(message);
  });

  it('takes values that start with a dash, and --help before any mistake', () => {
    const parsed = parseGenerateArgs(['--events', '10', '--out', '-h', '--seed', '-x']);
    expect(parsed).toMatchObject({ help: false, options: { outDir: '-h', seed: '-x' } });
    expect(parseGenerateArgs(['-h', '--bogus'])).toEqual({ help: true });
    expect(parseGenerateArgs(['--events', '10', '--help', 'stray'])).toEqual({ help: true });
  });
});

describe('command line', () => {
  const tsx = join(__dirname, '..', '..', 'node_modules', '.bin', 'tsx');
  const script = join(__dirname, '..', '..', 'scripts', 'generate.ts');
  function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(tsx, [script, ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        resolve({ code, stdout, stderr });
      });
    });
  }

  it('exits 2 naming the bad argument, prints usage on --help, and writes files otherwise', async () => {
    const out = freshDir();
    const [missing, badN, badFormat, unknown, help, ok] = await Promise.all([
      run(['--out', out]),
      run(['--events', 'ten', '--out', out]),
      run(['--events', '5', '--out', out, '--format', 'parquet']),
      run(['--events', '5', '--out', out, '--frobnicate']),
      run(['--help']),
      run(['--events', '50', '--out', out, '--files', '2']),
    ]);
    expect(missing).toMatchObject({ code: 2, stdout: '' });
    expect(missing.stderr).toMatch(/--events is required/);
    expect(badN.code).toBe(2);
    expect(badN.stderr).toMatch(/--events must be a positive integer, got "ten"/);
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toMatch(/--format .*"parquet"/);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option --frobnicate\n/);
    expect(unknown.stderr).toContain(`\n${SYNOPSIS}\n`);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: tsx scripts\/generate\.ts --events N --out DIR/);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toBe('');
    const summary = JSON.parse(ok.stdout) as { events: number; files: { path: string }[] };
    expect(ok.stdout.trim().split('\n')).toHaveLength(1);
    expect(summary.events).toBe(50);
    expect(summary.files.map((f) => f.path)).toEqual([
      join(out, 'events-0001.csv'),
      join(out, 'events-0002.csv'),
    ]);
  }, 30_000);
});
