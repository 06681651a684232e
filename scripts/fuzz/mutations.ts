// Inputs for fuzzing the ingest end to end: real-shaped event logs (CSV and JSON lines, plain and
// gzip) broken in the ways real uploads break, and files that are not event logs at all. Each comes
// with what may be said of its outcome: a mutation of the format itself must never end `completed`
// with every row rejected.
import { gzipSync } from 'node:zlib';
import { CSV_HEADER, csvRow, generateEvents, jsonLine } from '../generate/index';

export interface FuzzInput {
  /** What was done to it, for the figures. */
  kind: string;
  name: string;
  bytes: Buffer;
  /** The whole object is in a format the ingest does not read: it must fail, not complete. */
  notAnEventLog: boolean;
}

/** A small deterministic random source (mulberry32), so a run can be repeated from its seed. */
export function randomSource(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Real-shaped logs to start from: a generated day as CSV and as JSON lines. */
export function baseLogs(events = 120): { csv: Buffer; jsonl: Buffer } {
  const generated = [...generateEvents({ events, seed: 'fuzz' })];
  return {
    csv: Buffer.from(CSV_HEADER + generated.map((e) => csvRow(e)).join('')),
    jsonl: Buffer.from(generated.map((e) => jsonLine(e)).join('')),
  };
}

/** The mutations, each a function of the base bytes and a random source. */
const MUTATIONS: Record<
  string,
  (base: Buffer, random: () => number, format: 'csv' | 'jsonl') => Omit<FuzzInput, 'kind' | 'name'>
> = {
  truncated: (b, r) => ({ bytes: b.subarray(0, Math.floor(r() * b.length)), notAnEventLog: false }),
  'bytes flipped': (b, r) => {
    const out = Buffer.from(b);
    const flips = 1 + Math.floor(r() * 8);
    for (let i = 0; i < flips; i++) out[Math.floor(r() * out.length)] = Math.floor(r() * 256);
    return { bytes: out, notAnEventLog: false };
  },
  'random binary': (_b, r) => ({
    bytes: Buffer.from(Array.from({ length: 1 + Math.floor(r() * 4000) }, () => Math.floor(r() * 256))),
    notAnEventLog: true,
  }),
  'UTF-16': (b, r) => ({
    bytes: Buffer.concat([
      r() < 0.5 ? Buffer.from([0xff, 0xfe]) : Buffer.alloc(0),
      Buffer.from(b.toString('utf8'), 'utf16le'),
    ]),
    notAnEventLog: true,
  }),
  'Latin-1': (b) => ({
    bytes: Buffer.from(`${b.toString('utf8')}Zoë,Ångström,Müller\n`, 'latin1'),
    notAnEventLog: false,
  }),
  'mixed line endings': (b, r) => ({
    bytes: Buffer.from(b.toString('utf8').replace(/\r?\n/g, () => (r() < 0.5 ? '\n' : '\r\n'))),
    notAnEventLog: false,
  }),
  'repeated header row': (b, r, f) => {
    const lines = b.toString('utf8').split('\n');
    const at = 1 + Math.floor(r() * Math.max(1, lines.length - 1));
    lines.splice(at, 0, f === 'csv' ? CSV_HEADER.replace(/\n$/, '') : (lines[0] ?? ''));
    return { bytes: Buffer.from(lines.join('\n')), notAnEventLog: false };
  },
  'corrupt gzip': (b, r) => {
    const gz = Buffer.from(gzipSync(b));
    for (let i = 0; i < 4; i++) {
      const at = 10 + Math.floor(r() * (gz.length - 10));
      gz[at] = (gz[at] ?? 0) ^ 0xff;
    }
    return { bytes: r() < 0.5 ? gz : gz.subarray(0, Math.floor(gz.length * r())), notAnEventLog: false };
  },
  empty: () => ({ bytes: Buffer.alloc(0), notAnEventLog: true }),
  'header only': (_b, r) => ({
    bytes: Buffer.from(r() < 0.5 ? CSV_HEADER : CSV_HEADER.trimEnd()),
    notAnEventLog: false,
  }),
  'JSON array': (b, r) => {
    const objects = b.toString('utf8').trim().split('\n');
    const pretty = r() < 0.5;
    return {
      bytes: Buffer.from(pretty ? `[\n  ${objects.join(',\n  ')}\n]\n` : `[${objects.join(',')}]`),
      notAnEventLog: true,
    };
  },
  'JSON object per file': (b, r) => {
    const events = b
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    return {
      bytes: Buffer.from(JSON.stringify({ events }, null, r() < 0.5 ? 2 : undefined)),
      notAnEventLog: true,
    };
  },
};

export const MUTATION_KINDS = Object.keys(MUTATIONS);

/** The format each mutation starts from (some only make sense for one). */
const FORMATS: Record<string, ('csv' | 'jsonl')[]> = {
  'header only': ['csv'],
  'JSON array': ['jsonl'],
  'JSON object per file': ['jsonl'],
};

/** The n-th input of a run: mutations in turn, each on CSV or JSON lines, some of them gzipped. */
export function fuzzInput(n: number, base: { csv: Buffer; jsonl: Buffer }, random: () => number): FuzzInput {
  const kind = MUTATION_KINDS[n % MUTATION_KINDS.length] as string;
  const formats = FORMATS[kind] ?? ['csv', 'jsonl'];
  const format = formats[Math.floor(random() * formats.length)] as 'csv' | 'jsonl';
  const mutated = (MUTATIONS[kind] as (typeof MUTATIONS)[string])(base[format], random, format);
  const gzip = kind !== 'corrupt gzip' && random() < 0.25;
  const ext = format === 'csv' ? '.csv' : kind.startsWith('JSON') ? '.json' : '.jsonl';
  return {
    kind,
    name: `fuzz/${n}-${kind.replace(/\W+/g, '-')}${ext}${gzip || kind === 'corrupt gzip' ? '.gz' : ''}`,
    bytes: gzip ? gzipSync(mutated.bytes) : mutated.bytes,
    notAnEventLog: mutated.notAnEventLog,
  };
}

/** One line longer than any reader keeps: 20 MB, in each format. */
export function hugeLineInputs(base: { csv: Buffer; jsonl: Buffer }): FuzzInput[] {
  const line = 'x'.repeat(20 * 1024 * 1024);
  return [
    {
      kind: '20 MB line',
      name: 'fuzz/huge.csv',
      bytes: Buffer.concat([base.csv, Buffer.from(`"${line}",1\r\n`), base.csv.subarray(CSV_HEADER.length)]),
      notAnEventLog: false,
    },
    {
      kind: '20 MB line',
      name: 'fuzz/huge.jsonl',
      bytes: Buffer.concat([base.jsonl, Buffer.from(`{"page":"${line}"}\n`), base.jsonl]),
      notAnEventLog: false,
    },
  ];
}
