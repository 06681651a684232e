// The end of a run: the collected results with the machine, the run's size and a summary (the
// ratios and the goals), written to bench/results/ as JSON, markdown and SVG.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { CASSANDRA_VERSION, cassandraHeap } from '../scripts/stack/cassandra';
import { findJdk } from '../scripts/stack/java';
import { repo } from './build';
import type { BenchContext } from './context';
import { type BenchResults, chartSvg, markdown } from './report';
import { round } from './stats';

function summary(ctx: BenchContext): BenchResults['summary'] {
  const { ingest, memory, reads } = ctx.results;
  const contender = (name: string) => ingest.find((c) => c.name === name);
  const rate = (name: string) => contender(name)?.rowsPerSec.median ?? null;
  const cpu = (name: string) => contender(name)?.cpuUsPerPlay?.median ?? null;
  const ours = rate('ours');
  const ratio = (other: string, of = 'ours') => {
    const a = rate(of);
    const o = rate(other);
    return a !== null && o ? round(a / o, 3) : null;
  };
  const oursCpu = cpu('ours');
  const ceilingCpu = cpu('ceiling');
  const cpuRatio = oursCpu !== null && ceilingCpu ? round(oursCpu / ceilingCpu, 3) : null;
  const at1GB = memory.find((m) => m.inputMb >= 900)?.peakRssMb ?? null;
  const p99 = (mode: string, query: string, c: number) =>
    reads.find((r) => r.mode === mode && r.query === query && r.concurrency === c)?.p99;
  const handlerVsDriver = reads.length
    ? Math.max(
        ...(['q1', 'q2', 'q3'] as const).flatMap((q) =>
          [1, 32].map((c) => (p99('handler', q, c) ?? Number.NaN) / (p99('driver', q, c) ?? Number.NaN)),
        ),
      )
    : null;
  const goal = (text: string, value: number | null, met: (v: number) => boolean) => ({
    goal: text,
    value: value === null || Number.isNaN(value) ? null : round(value, 3),
    met: value === null || Number.isNaN(value) ? null : met(value),
  });
  return {
    oursRowsPerSec: ours ?? 0,
    ceilingRowsPerSec: rate('ceiling') ?? 0,
    cqlshRowsPerSec: rate('cqlsh COPY') ?? 0,
    baselineRowsPerSec: rate('baseline') ?? 0,
    dsbulkRowsPerSec: rate('DSBulk'),
    cliRowsPerSec: rate('CLI (npm run ingest)'),
    oursCpuUsPerPlay: oursCpu,
    ceilingCpuUsPerPlay: ceilingCpu,
    cqlshCpuUsPerPlay: cpu('cqlsh COPY'),
    dsbulkCpuUsPerPlay: cpu('DSBulk'),
    cliCpuUsPerPlay: cpu('CLI (npm run ingest)'),
    cassandraCpuUsPerPlayOurs: contender('ours')?.cassandraCpuUsPerPlay?.median ?? null,
    peakRssMbAt1GB: at1GB,
    ratios: {
      oursToCeiling: ratio('ceiling'),
      oursToCqlsh: ratio('cqlsh COPY'),
      oursToDsbulk: ratio('DSBulk'),
      oursToBaseline: ratio('baseline'),
      cliToOurs: ratio('ours', 'CLI (npm run ingest)'),
      oursCpuToCeilingCpu: cpuRatio,
      pinnedOursToCeiling: ratio('ceiling, pinned', 'ours, pinned'),
      handlerP99ToDriverP99Max: handlerVsDriver === null ? null : round(handlerVsDriver, 3),
    },
    goals: {
      'ours / ceiling': goal('>= 0.85', ratio('ceiling'), (v) => v >= 0.85),
      'ours / cqlsh COPY': goal('>= 1.4', ratio('cqlsh COPY'), (v) => v >= 1.4),
      'ours loader CPU per play / the ceiling’s': goal('<= 1.15', cpuRatio, (v) => v <= 1.15),
      'peak RSS at 1 GB (MB)': goal('<= 256', at1GB, (v) => v <= 256),
      'handler p99 / driver p99 (worst query)': goal('<= 1.2', handlerVsDriver, (v) => v <= 1.2),
    },
  };
}

export function writeResults(ctx: BenchContext): void {
  const { args, data } = ctx;
  const jdk = findJdk(ctx.env.JAVA_HOME);
  const results: BenchResults = {
    date: new Date().toISOString(),
    machine: {
      cpuModel: cpus()[0]?.model.trim(),
      cpus: cpus().length,
      memoryGb: round(totalmem() / 1024 ** 3, 1),
      os: `${type()} ${release()}`,
      node: process.version,
      java: `JDK ${jdk.major}`,
      cassandra: CASSANDRA_VERSION,
      // The bench runs on the single local node, whose heap is the setting or its default (1G).
      cassandraHeap: cassandraHeap(ctx.stack, 1, 1),
    },
    config: {
      events: data.events,
      plays: data.plays,
      bytes: data.bytes,
      repeats: args.repeats,
      readRequests: args.readRequests,
    },
    summary: summary(ctx),
    ...ctx.results,
    durationMs: Date.now() - ctx.started,
  };
  const dir = join(repo, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = results.date.slice(0, 10);
  // A run of some sections only (--only) is kept beside the full run rather than replacing it.
  const name = args.only ? args.only.join('+') : 'latest';
  const written = [`${stamp}${args.only ? `-${name}` : ''}.json`, `${name}.md`];
  writeFileSync(join(dir, written[0] as string), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(dir, `${name}.md`), markdown(results));
  if (!args.only) {
    writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(join(dir, 'latest.svg'), chartSvg(results));
    written.push('latest.json', 'latest.svg');
  }
  ctx.log(
    `done in ${((Date.now() - ctx.started) / 60000).toFixed(1)} min; results in bench/results/ (${written.join(', ')})`,
  );
  process.stdout.write(markdown(results));
}
