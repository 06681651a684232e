// npm run bench [-- --events N] [--repeats R] [--rss 10,100,1024] [--read-requests N] [--skip a,b | --only a,b] [--parts-gb G] [--part-seconds S] [--splits-mb M] [--split-limit W]
// One run, one machine, one local Cassandra node, one generated data set: our ingest (through the
// Lambda handler, from a LocalStack object) against the original row-by-row loop, cqlsh COPY FROM,
// DSBulk and the driver's own ceiling; our peak RSS as the input grows; read latency of the three
// queries through the raw driver, the handlers in-process and HTTP; cold starts; the event flow's
// upload-to-queryable time; the CLI a backfill runs; ours and the ceiling with Cassandra and the
// loader on CPUs of their own; the CPU cost of parsing alone; CPU profiles of ours and the ceiling;
// when named, big objects in parts, and ours under each commit-log sync mode (what durability costs).
// Every ingest contender's loader CPU and Cassandra's CPU per play. Results go to bench/results/.
// This file only orchestrates: each section is a module of bench/sections/, sharing one context.
import { runCli } from '../scripts/cli';
import { type BenchArgs, benchArgs, SECTIONS, type SectionName, USAGE } from './args';
import { type BenchContext, closeContext, createContext } from './context';
import { baseline } from './sections/baseline';
import { ceiling } from './sections/ceiling';
import { cli } from './sections/cli';
import { coldStarts } from './sections/coldstart';
import { commitlog } from './sections/commitlog';
import { cqlshCopy } from './sections/cqlsh';
import { dsbulk } from './sections/dsbulk';
import { eventFlow } from './sections/flow';
import { memory } from './sections/memory';
import { ours } from './sections/ours';
import { parsing } from './sections/parsing';
import { parts } from './sections/parts';
import { pinned } from './sections/pinned';
import { profileGap } from './sections/profile';
import { readLatency } from './sections/reads';
import { splits } from './sections/splits';
import { writeResults } from './summary';

const run: Record<SectionName, (ctx: BenchContext) => Promise<void>> = {
  ours,
  reads: readLatency,
  coldstart: coldStarts,
  flow: eventFlow,
  ceiling,
  cli,
  cqlsh: cqlshCopy,
  dsbulk,
  baseline,
  pinned,
  parsing,
  memory,
  profile: profileGap,
  parts,
  splits,
  commitlog,
};

/** Sections that measure what ours loaded, so run only after it. */
const needsOurs: ReadonlySet<SectionName> = new Set(['reads', 'coldstart']);

async function main(args: BenchArgs): Promise<number> {
  const ctx = await createContext(args);
  try {
    for (const name of SECTIONS) {
      if (args.skip.has(name)) continue;
      if (needsOurs.has(name) && args.skip.has('ours')) {
        ctx.log(`${name}: skipped (it measures the data ours loads, and ours is skipped)`);
        continue;
      }
      await run[name](ctx);
    }
  } catch (err: unknown) {
    ctx.log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    throw err;
  } finally {
    await closeContext(ctx);
  }
  writeResults(ctx);
  return 0;
}

runCli('bench', USAGE, async () => main(benchArgs(process.argv.slice(2))));
