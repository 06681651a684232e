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
  'cqlsh',
  'dsbulk',
  'baseline',
  'memory',
  'profile',
] as const;
export type SectionName = (typeof SECTIONS)[number];

export interface BenchArgs {
  events: number;
  repeats: number;
  rssMb: number[];
  readRequests: number;
  skip: Set<SectionName>;
}

export const USAGE =
  'usage: npm run bench -- [--events N] [--repeats R] [--rss 10,100,1024] [--read-requests N] [--skip a,b]';

const isSection = (name: string): name is SectionName => (SECTIONS as readonly string[]).includes(name);

export function benchArgs(argv: string[]): BenchArgs {
  const { values } = parseCommandLine(argv, {
    events: { type: 'string' },
    repeats: { type: 'string' },
    rss: { type: 'string' },
    'read-requests': { type: 'string' },
    skip: { type: 'string' },
  });
  const skip = (values.skip ?? '').split(',').filter((s) => s.length > 0);
  const unknown = skip.filter((s) => !isSection(s));
  if (unknown.length > 0)
    throw new UsageError(`--skip: no section ${unknown.join(', ')} (there are ${SECTIONS.join(', ')})`);
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
    skip: new Set(skip.filter(isSection)),
  };
}
