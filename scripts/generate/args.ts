// Command-line parsing for scripts/generate.ts, kept apart from the entry point so it can be tested without
// spawning a process. Hand-written rather than util.parseArgs for messages that name the bad argument.
import { OUTPUT_FORMATS, type OutputFormat, type WriteOptions } from './writers';

export const USAGE = `Usage: tsx scripts/generate.ts --events N --out DIR [options]

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
Prints a one-line JSON summary to stdout; progress goes to stderr when it is a terminal.
Exit codes: 0 done, 1 failed while writing, 2 bad arguments.`;

/** A problem with the arguments; the CLI prints it and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export type ParsedArgs = { help: true } | { help: false; options: WriteOptions };

const VALUE_FLAGS = ['--events', '--out', '--format', '--files', '--seed', '--start', '--days'] as const;
const BOOLEAN_FLAGS = ['--gzip', '--excel-numbers'] as const;
type ValueFlag = (typeof VALUE_FLAGS)[number];
type BooleanFlag = (typeof BOOLEAN_FLAGS)[number];

function isValueFlag(name: string): name is ValueFlag {
  return (VALUE_FLAGS as readonly string[]).includes(name);
}

function isBooleanFlag(name: string): name is BooleanFlag {
  return (BOOLEAN_FLAGS as readonly string[]).includes(name);
}

function positiveInteger(flag: string, text: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag} must be a positive integer, got "${text}"`);
  const n = Number(text);
  if (n < 1 || !Number.isSafeInteger(n))
    throw new UsageError(`${flag} must be a positive integer, got "${text}"`);
  return n;
}

export function parseGenerateArgs(argv: readonly string[]): ParsedArgs {
  const values = new Map<ValueFlag, string>();
  const booleans = new Set<BooleanFlag>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') return { help: true };
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (isBooleanFlag(name)) {
      if (name !== arg) throw new UsageError(`${name} takes no value`);
      booleans.add(name);
      continue;
    }
    if (!isValueFlag(name)) {
      throw new UsageError(arg.startsWith('-') ? `unknown option ${name}` : `unexpected argument "${arg}"`);
    }
    if (values.has(name)) throw new UsageError(`${name} given more than once`);
    let value: string | undefined;
    if (name !== arg) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      i++;
    }
    if (value === undefined || (name === arg && value.startsWith('--'))) {
      throw new UsageError(`${name} needs a value`);
    }
    values.set(name, value);
  }

  const eventsText = values.get('--events');
  if (eventsText === undefined) throw new UsageError('--events is required');
  const outDir = values.get('--out');
  if (outDir === undefined || outDir === '') throw new UsageError('--out is required');
  const events = positiveInteger('--events', eventsText);

  const formatText = values.get('--format') ?? 'csv';
  if (!(OUTPUT_FORMATS as readonly string[]).includes(formatText)) {
    throw new UsageError(`--format must be one of ${OUTPUT_FORMATS.join(', ')}, got "${formatText}"`);
  }
  const format = formatText as OutputFormat;

  const filesText = values.get('--files');
  const files = filesText === undefined ? 1 : positiveInteger('--files', filesText);
  if (files > events) throw new UsageError(`--files (${files}) cannot exceed --events (${events})`);

  const excelNumbers = booleans.has('--excel-numbers');
  if (excelNumbers && format !== 'csv') throw new UsageError('--excel-numbers only applies to --format csv');

  const options: WriteOptions = {
    events,
    outDir,
    format,
    files,
    gzip: booleans.has('--gzip'),
    excelNumbers,
  };

  const seed = values.get('--seed');
  if (seed !== undefined) {
    if (seed === '') throw new UsageError('--seed must not be empty');
    options.seed = seed;
  }
  const startText = values.get('--start');
  if (startText !== undefined) {
    const start = Date.parse(startText);
    if (Number.isNaN(start)) throw new UsageError(`--start must be an ISO date-time, got "${startText}"`);
    options.start = start;
  }
  const daysText = values.get('--days');
  if (daysText !== undefined) {
    const days = Number(daysText);
    if (daysText.trim() === '' || !Number.isFinite(days) || days <= 0) {
      throw new UsageError(`--days must be a positive number, got "${daysText}"`);
    }
    options.days = days;
  }
  return { help: false, options };
}
