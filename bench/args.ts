// The bench's command line, read by the scripts' one parser (scripts/cli.ts, node:util's parseArgs):
// the size of the run and the sections to leave out.
import { parseCommandLine, UsageError, wholeNumber } from '../scripts/cli';

/** The bench's sections, in the order they run (reads and coldstart use the data ours loads). */
export const SECTIONS = [
  'ours',
  'reads',
  'coldstart',
  'flow',
  'ceiling',
  'cli',
  'cqlsh',
  'dsbulk',
  'baseline',
  'pinned',
  'parsing',
  'memory',
  'profile',
  'parts',
  'splits',
  'commitlog',
] as const;
export type SectionName = (typeof SECTIONS)[number];

/**
 * Sections that run only when named with --only: they take long, need much disk, or restart the
 * local node.
 */
export const ONLY_WHEN_NAMED: ReadonlySet<SectionName> = new Set(['parts', 'splits', 'commitlog']);

export interface BenchArgs {
  events: number;
  repeats: number;
  rssMb: number[];
  readRequests: number;
  /** Size of each object of the parts section, in GiB (decompressed). */
  partsGb: number;
  /** Each part's deadline in the parts section (INGEST_DEADLINE_MS), in seconds. */
  partSeconds: number;
  /** Size of each object of the splits section, in MiB of text. */
  splitsMb: number;
  /** INGEST_MAX_WRITES_PER_SECOND of each invocation in the splits section's limited runs. */
  splitLimit: number;
  skip: Set<SectionName>;
  /** The sections named with --only, when a run is partial (its results do not replace latest.*). */
  only?: SectionName[];
}

export const USAGE =
  'usage: npm run bench -- [--events N] [--repeats R] [--rss 10,100,1024] [--read-requests N] [--skip a,b | --only a,b] [--parts-gb G] [--part-seconds S] [--splits-mb M] [--split-limit W]';

const isSection = (name: string): name is SectionName => (SECTIONS as readonly string[]).includes(name);

export function benchArgs(argv: string[]): BenchArgs {
  const { values } = parseCommandLine(argv, {
    events: { type: 'string' },
    repeats: { type: 'string' },
    rss: { type: 'string' },
    'read-requests': { type: 'string' },
    skip: { type: 'string' },
    only: { type: 'string' },
    'parts-gb': { type: 'string' },
    'part-seconds': { type: 'string' },
    'splits-mb': { type: 'string' },
    'split-limit': { type: 'string' },
  });
  if (values.skip !== undefined && values.only !== undefined)
    throw new UsageError('--skip and --only: give one of them');
  const sections = (option: 'skip' | 'only') => {
    const names = (values[option] ?? '').split(',').filter((s) => s.length > 0);
    const unknown = names.filter((s) => !isSection(s));
    if (unknown.length > 0)
      throw new UsageError(
        `--${option}: no section ${unknown.join(', ')} (there are ${SECTIONS.join(', ')})`,
      );
    return names.filter(isSection);
  };
  const only = sections('only');
  const skip =
    only.length > 0 ? SECTIONS.filter((s) => !only.includes(s)) : [...sections('skip'), ...ONLY_WHEN_NAMED];
  const partsGb = Number(values['parts-gb'] ?? 2);
  if (!(partsGb > 0 && partsGb <= 64)) throw new UsageError('--parts-gb must be a size in GiB, e.g. 2');
  const repeats = Number(values.repeats ?? 3);
  if (!Number.isInteger(repeats) || repeats < 1) throw new UsageError('--repeats must be a positive integer');
  const rssMb = (values.rss ?? '10,100,1024').split(',').map(Number);
  if (rssMb.some((mb) => !Number.isInteger(mb) || mb < 1))
    throw new UsageError('--rss must be sizes in MB, e.g. 10,100,1024');
  return {
    events: wholeNumber('events', values.events, 1_000_000, 10_000),
    repeats,
    rssMb,
    readRequests: wholeNumber('read-requests', values['read-requests'], 2000, 1),
    skip: new Set(skip),
    ...(only.length > 0 ? { only } : {}),
    partsGb,
    partSeconds: wholeNumber('part-seconds', values['part-seconds'], 60, 5),
    splitsMb: wholeNumber('splits-mb', values['splits-mb'], 1024, 1),
    splitLimit: wholeNumber('split-limit', values['split-limit'], 2000, 1),
  };
}
