// Command-line parsing for scripts/generate.ts, kept apart from the entry point so it can be tested without
// spawning a process. The usage error and how it is printed are the scripts' shared ones (scripts/cli.ts).
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from '../cli';
import { OUTPUT_FORMATS, type OutputFormat, type WriteOptions } from './writers';

export { UsageError };

/** The first line of USAGE; printed after every argument error. */
export const SYNOPSIS = 'Usage: tsx scripts/generate.ts --events N --out DIR [options]';

export const USAGE = `${SYNOPSIS}

Writes a deterministic synthetic music-streaming event log shaped like eventsim's output
(and like the published CSV exports): the same arguments always give byte-identical files.

Required:
  --events N          number of events to generate (a positive integer)
  --out DIR           output directory (created if missing; files of the same names are overwritten)

Options:
  --format csv|jsonl  csv (default): header row, CRLF, minimal quoting;
                      jsonl: one JSON object per line (LF), eventsim's native form, null for missing values
  --gzip              gzip each file; names get .gz
  --files F           split the events, in time order, into F files of near-equal size (default 1);
                      with the default 30 days, --files 30 gives one day-like file per day
  --seed S            any string (default "tracklog")
  --start ISO         earliest event time (default 2018-11-01T00:00:00Z)
  --days D            days the events are spread over, roughly (default 30)
  --excel-numbers     csv only: write registration and ts as a spreadsheet mangled them (1.54111E+12)
                      instead of integer milliseconds
  -h, --help          print this help

Files: DIR/events.csv when F is 1, else DIR/events-0001.csv ... DIR/events-NNNN.csv
       (.jsonl instead of .csv for --format jsonl, .gz appended with --gzip).
Ids: sessionIds and userIds start above 1,000,000, clear of the real logs' (below 2,000), so
     generated and real files can share a keyspace without answering for each other.
Prints a one-line JSON summary to stdout; progress goes to stderr when it is a terminal.
Exit codes: 0 done, 1 failed while writing, 2 bad arguments.`;

export type ParsedArgs = { help: true } | { help: false; options: WriteOptions };

const OPTIONS = {
  events: { type: 'string' },
  out: { type: 'string' },
  format: { type: 'string' },
  files: { type: 'string' },
  seed: { type: 'string' },
  start: { type: 'string' },
  days: { type: 'string' },
  gzip: { type: 'boolean' },
  'excel-numbers': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

type OptionName = keyof typeof OPTIONS;

function isOption(name: string): name is OptionName {
  return Object.hasOwn(OPTIONS, name);
}

function positiveInteger(flag: string, text: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag} must be a positive integer, got "${text}"`);
  const n = Number(text);
  if (n < 1 || !Number.isSafeInteger(n))
    throw new UsageError(`${flag} must be a positive integer, got "${text}"`);
  return n;
}

/**
 * parseArgs splits the arguments (--name value, --name=value, -h); the checks are made here, on its tokens
 * in order, rather than by its strict mode (scripts/cli.ts's parseCommandLine), which would let an option
 * given twice pass, refuse values starting with a dash (--seed -x), word several messages differently
 * ("--gzip=yes" would "need a value") and throw before a --help that comes ahead of the mistake. Returns
 * the options given (true for a boolean one), or null for --help.
 */
function readOptions(argv: readonly string[]): Map<OptionName, string | true> | null {
  const { tokens } = parseArgs({
    args: [...argv],
    options: OPTIONS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const given = new Map<OptionName, string | true>();
  for (const token of tokens) {
    const arg = argv[token.index] ?? '';
    if (token.kind !== 'option') {
      // parseArgs takes '--' as the end of options and '-' as a positional; both are options here.
      if (token.kind === 'option-terminator' || arg.startsWith('-'))
        throw new UsageError(`unknown option ${arg}`);
      throw new UsageError(`unexpected argument "${arg}"`);
    }
    // parseArgs splits -hx into -h -x; the one short option is -h on its own.
    if (!arg.startsWith('--') && arg !== '-h') throw new UsageError(`unknown option ${arg}`);
    const { name } = token;
    if (!isOption(name)) throw new UsageError(`unknown option ${token.rawName}`);
    const flag = `--${name}`;
    if (OPTIONS[name].type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`${flag} takes no value`);
      if (name === 'help') return null;
      given.set(name, true);
      continue;
    }
    if (given.has(name)) throw new UsageError(`${flag} given more than once`);
    // "--out --gzip" is a forgotten value, not an output directory named --gzip; "--out=--gzip" is meant.
    const value = token.value;
    if (value === undefined || (!token.inlineValue && value.startsWith('--'))) {
      throw new UsageError(`${flag} needs a value`);
    }
    given.set(name, value);
  }
  return given;
}

export function parseGenerateArgs(argv: readonly string[]): ParsedArgs {
  const given = readOptions(argv);
  if (given === null) return { help: true };
  const text = (name: OptionName): string | undefined => {
    const value = given.get(name);
    return typeof value === 'string' ? value : undefined;
  };

  const eventsText = text('events');
  if (eventsText === undefined) throw new UsageError('--events is required');
  const outDir = text('out');
  if (outDir === undefined || outDir === '') throw new UsageError('--out is required');
  const events = positiveInteger('--events', eventsText);

  const formatText = text('format') ?? 'csv';
  if (!(OUTPUT_FORMATS as readonly string[]).includes(formatText)) {
    throw new UsageError(`--format must be one of ${OUTPUT_FORMATS.join(', ')}, got "${formatText}"`);
  }
  const format = formatText as OutputFormat;

  const filesText = text('files');
  const files = filesText === undefined ? 1 : positiveInteger('--files', filesText);
  if (files > events) throw new UsageError(`--files (${files}) cannot exceed --events (${events})`);

  const excelNumbers = given.has('excel-numbers');
  if (excelNumbers && format !== 'csv') throw new UsageError('--excel-numbers only applies to --format csv');

  const options: WriteOptions = {
    events,
    outDir,
    format,
    files,
    gzip: given.has('gzip'),
    excelNumbers,
  };

  const seed = text('seed');
  if (seed !== undefined) {
    if (seed === '') throw new UsageError('--seed must not be empty');
    options.seed = seed;
  }
  const startText = text('start');
  if (startText !== undefined) {
    const start = Date.parse(startText);
    if (Number.isNaN(start)) throw new UsageError(`--start must be an ISO date-time, got "${startText}"`);
    options.start = start;
  }
  const daysText = text('days');
  if (daysText !== undefined) {
    const days = Number(daysText);
    if (daysText.trim() === '' || !Number.isFinite(days) || days <= 0) {
      throw new UsageError(`--days must be a positive number, got "${daysText}"`);
    }
    options.days = days;
  }
  return { help: false, options };
}
