// The benchmark's outputs: the full results as JSON, a markdown summary, and an SVG chart (ingest
// rate per contender with its spread, and read p99 per query and mode).
import type { LatencyResult } from './reads';
import type { Spread } from './stats';

export interface ContenderResult {
  name: string;
  description: string;
  /** Denormalized source rows (song plays) per second. */
  rowsPerSec: Spread;
  /** CQL rows written per second (three per play). */
  cqlWritesPerSec: Spread;
  /** The loading processes' CPU time per play, in µs (null: not measured). */
  cpuUsPerPlay: Spread | null;
  /** Cassandra's CPU time during the run per play, in µs. */
  cassandraCpuUsPerPlay: Spread | null;
  settings?: Record<string, unknown>;
  notes?: string;
}

export interface MemoryPoint {
  inputMb: number;
  format: string;
  events: number;
  peakRssMb: number;
  rowsPerSec: number;
}

export interface HandlerStart {
  handler: string;
  bundleKb: number;
  bundleGzipKb: number;
  /** Loading the module in a fresh process: Lambda's Init Duration. */
  initMs: number;
  /** The first invocation: connects to Cassandra and prepares statements. */
  firstInvokeMs: number;
  warmInvokeMs: number;
  starts: number;
}

/** One way of reading and parsing the event log, without writing (bench/runners/parsing.ts). */
export interface ParsingResult {
  way: string;
  cpuUsPerEvent: Spread;
  cpuUsPerPlay: Spread;
}

/** One big object ingested with some splits in flight (bench/sections/splits.ts). */
export interface SplitsRun {
  splitsInFlight: number;
  /** Splits its plan made (1: read whole). */
  splits: number;
  limitPerInvocation: number | null;
  rowsWritten: number;
  /** From the notification sent to the report's end. */
  totalMs: number;
  playsPerSec: number;
  planMs: number;
  invocations: number;
  peakRssMbPerInvocation: number;
  /** Whole's time over this run's. */
  speedUp?: number;
  /** The plan's time over the whole ingest's. */
  planShareOfWhole?: number;
}

export interface SplitsResult {
  object: string;
  storedBytes: number;
  events: number;
  runs: SplitsRun[];
}

/** One way of ingesting a big object (bench/sections/parts.ts). */
export interface PartsRun {
  way: string;
  parts: number;
  rowsWritten: number;
  totalMs: number;
  /** Each part's own duration, and the time between one part's end and the next one's start. */
  partMs: number[];
  gapsMs: number[];
  /**
   * For each part that ended at a checkpoint: its duration past the moment it stopped reading, i.e.
   * draining its writes and recording the checkpoint, what INGEST_DEADLINE_MARGIN_MS must cover.
   */
  stopToEndMs: number[];
  peakRssMbPerPart: number[];
  /** Whose RSS peakRssMbPerPart is: the handler's own process, or the process it runs in. */
  rssOf: string;
  /** Each part's plays written per second of its own time: a gzip part inflates and discards first. */
  playsPerSecPerPart: number[];
  /** totalMs over the whole run's, less 1 (0.03: 3 % longer). */
  overWhole?: number;
}

export interface PartsResult {
  object: string;
  /** As read (decompressed, for gzip), and as stored. */
  bytes: number;
  storedBytes: number;
  events: number;
  runs: PartsRun[];
}

/** One run of the commitlog section: ours on a node started with one commit-log mode. */
export interface CommitlogRun {
  round: number;
  mode: string;
  wallMs: number;
  playsPerSec: number;
  /** This run's rate over the same round's periodic run's. */
  ratioToPeriodic: number;
  cpuMs: number;
  cassandraCpuMs: number;
  /** The part of cassandraCpuMs spent in the kernel (system time). */
  cassandraSystemCpuMs: number;
  /** Writes the ingest retried (timeouts), from its report. */
  writeRetries: number;
}

/** One commit-log mode of the commitlog section (bench/sections/commitlog.ts), over its rounds. */
export interface CommitlogMode {
  mode: string;
  /** What the node's cassandra.yaml got for the mode (null: left out). */
  settings: Record<string, string | null>;
  /** The same settings as the running node reported them (system_views.settings). */
  nodeSays: Record<string, string | null>;
  playsPerSec: Spread;
  /** Each round's rate over the same round's periodic rate. */
  ratioToPeriodic: Spread;
  loaderCpuUsPerPlay: Spread;
  cassandraCpuUsPerPlay: Spread;
  /** The kernel's part of it (system time). */
  cassandraSystemCpuUsPerPlay: Spread;
}

export interface CommitlogResult {
  plays: number;
  rounds: number;
  /** Each round's order of modes (rotated from round to round). */
  order: string[][];
  modes: CommitlogMode[];
  runs: CommitlogRun[];
}

export interface FlowResult {
  file: string;
  bytes: number;
  uploadToQueryableMs: Spread;
}

export interface BenchResults {
  date: string;
  machine: Record<string, unknown>;
  config: Record<string, unknown>;
  summary: {
    oursRowsPerSec: number;
    ceilingRowsPerSec: number;
    cqlshRowsPerSec: number;
    baselineRowsPerSec: number;
    dsbulkRowsPerSec: number | null;
    cliRowsPerSec: number | null;
    /** The loading processes' CPU per play (µs), each contender's median. */
    oursCpuUsPerPlay: number | null;
    ceilingCpuUsPerPlay: number | null;
    cqlshCpuUsPerPlay: number | null;
    dsbulkCpuUsPerPlay: number | null;
    cliCpuUsPerPlay: number | null;
    /** Cassandra's CPU per play while ours loaded. */
    cassandraCpuUsPerPlayOurs: number | null;
    peakRssMbAt1GB: number | null;
    ratios: Record<string, number | null>;
    goals: Record<string, { goal: string; value: number | null; met: boolean | null }>;
  };
  ingest: ContenderResult[];
  memory: MemoryPoint[];
  reads: LatencyResult[];
  handlers: HandlerStart[];
  flow?: FlowResult;
  parsing?: ParsingResult[];
  parts?: PartsResult[];
  splits?: SplitsResult[];
  profile?: Record<string, unknown>;
  commitlog?: CommitlogResult;
  durationMs: number;
}

const fmt = (n: number | null | undefined, digits = 0) =>
  n === null || n === undefined || Number.isNaN(n)
    ? 'n/a'
    : n.toLocaleString('en-US', { maximumFractionDigits: digits });
/** A number with its unit, or n/a alone. */
const withUnit = (n: number | null | undefined, unit: string, digits = 0) => {
  const s = fmt(n, digits);
  return s === 'n/a' ? s : `${s} ${unit}`;
};

function ingestTables(r: BenchResults, lines: string[]): void {
  lines.push(
    '## Ingest',
    '',
    'CPU per play: user + system CPU time of the loading processes (all of them) and of Cassandra during the run, divided by the plays, in µs.',
    '',
    '| contender | rows/s (plays) | CQL writes/s | spread (rows/s) | loader CPU/play | Cassandra CPU/play | settings |',
    '| --- | ---: | ---: | --- | ---: | ---: | --- |',
  );
  for (const c of r.ingest) {
    lines.push(
      `| **${c.name}**: ${c.description} | ${fmt(c.rowsPerSec.median)} | ${fmt(c.cqlWritesPerSec.median)} | ` +
        `${fmt(c.rowsPerSec.min)}–${fmt(c.rowsPerSec.max)} | ${fmt(c.cpuUsPerPlay?.median, 1)} | ` +
        `${fmt(c.cassandraCpuUsPerPlay?.median, 1)} | ${
          c.settings
            ? Object.entries(c.settings)
                .map(([k, v]) => `${k}=${v}`)
                .join(', ')
            : ''
        } |`,
    );
  }
  lines.push('', '| ratio | value | goal |', '| --- | ---: | --- |');
  for (const [name, g] of Object.entries(r.summary.goals)) {
    lines.push(
      `| ${name} | ${fmt(g.value, 2)} | ${g.goal} ${g.met === null ? '' : g.met ? '(met)' : '(not met)'} |`,
    );
  }
  const notes = r.ingest.filter((c) => c.notes);
  if (notes.length > 0) lines.push('', ...notes.map((c) => `- ${c.name}: ${c.notes}`));
}

function readTables(r: BenchResults, lines: string[]): void {
  lines.push(
    '',
    '## Read latency (ms)',
    '',
    `Each row: ${r.reads[0]?.requests ?? 0} requests per round, ${r.reads[0]?.rounds ?? 0} rounds in rotated mode order; medians over the rounds, with the p99's min–max.`,
    '',
    '| query | mode | concurrency | p50 | p95 | p99 | p99 min–max | errors |',
    '| --- | --- | ---: | ---: | ---: | ---: | --- | ---: |',
  );
  for (const l of r.reads)
    lines.push(
      `| ${l.query} | ${l.mode} | ${l.concurrency} | ${l.p50} | ${l.p95} | ${l.p99} | ${l.p99Spread.min}–${l.p99Spread.max} | ${l.errors} |`,
    );
}

function commitlogTable(c: CommitlogResult, lines: string[]): void {
  const range = (x: Spread, digits = 0) => `${fmt(x.min, digits)}–${fmt(x.max, digits)}`;
  lines.push(
    '',
    `## Commit-log sync modes: ours, ${fmt(c.plays)} plays, ${c.rounds} rounds`,
    '',
    'The node restarted with each mode before its run (and warmed up with one unmeasured ingest of the warm-up object); the modes in a rotated order each round. ' +
      '÷ periodic: each round’s rate over the same round’s periodic rate, median of the rounds (min–max). CPU per play in µs.',
    '',
    '| mode | settings | plays/s | spread | ÷ periodic | spread | Cassandra CPU/play | spread | of it system | loader CPU/play |',
    '| --- | --- | ---: | --- | ---: | --- | ---: | --- | ---: | ---: |',
  );
  for (const m of c.modes) {
    const settings = Object.entries(m.settings)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ');
    lines.push(
      `| ${m.mode} | ${settings} | ${fmt(m.playsPerSec.median)} | ${range(m.playsPerSec)} | ${fmt(m.ratioToPeriodic.median, 2)} | ` +
        `${range(m.ratioToPeriodic, 2)} | ${fmt(m.cassandraCpuUsPerPlay.median, 1)} | ${range(m.cassandraCpuUsPerPlay, 1)} | ` +
        `${fmt(m.cassandraSystemCpuUsPerPlay.median, 1)} | ${fmt(m.loaderCpuUsPerPlay.median, 1)} |`,
    );
  }
  const perPlay = (ms: number) => fmt((ms * 1000) / c.plays, 1);
  lines.push(
    '',
    '| round | mode | plays/s | ÷ periodic | Cassandra CPU/play | of it system | write retries |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const run of c.runs)
    lines.push(
      `| ${run.round} | ${run.mode} | ${fmt(run.playsPerSec)} | ${fmt(run.ratioToPeriodic, 2)} | ${perPlay(run.cassandraCpuMs)} | ${perPlay(run.cassandraSystemCpuMs)} | ${fmt(run.writeRetries)} |`,
    );
}

export function markdown(r: BenchResults): string {
  const lines: string[] = [];
  lines.push(`# Benchmark results — ${r.date.slice(0, 10)}`, '');
  lines.push(
    `Machine: ${r.machine.cpuModel} × ${r.machine.cpus}, ${r.machine.memoryGb} GB RAM, ${r.machine.os}; ` +
      `Node ${r.machine.node}, ${r.machine.java}, Cassandra ${r.machine.cassandra} (one node, heap ${r.machine.cassandraHeap}). ` +
      `Data: ${fmt(Number(r.config.events))} generated events (${fmt(Number(r.config.plays))} song plays, ` +
      `${fmt(Number(r.config.bytes) / 1024 / 1024, 1)} MB of CSV), ${r.config.repeats} runs per contender; medians with min–max.`,
    '',
  );
  if (r.ingest.length > 0) ingestTables(r, lines);
  if (r.parsing && r.parsing.length > 0) {
    lines.push(
      '',
      '## Parsing alone (no Cassandra)',
      '',
      'CPU time of reading the same event log each way, in a process of its own (bench/runners/parsing.ts), per event and per play.',
      '',
      '| way | µs CPU/event | µs CPU/play | spread (µs/play) |',
      '| --- | ---: | ---: | --- |',
    );
    for (const p of r.parsing)
      lines.push(
        `| ${p.way} | ${fmt(p.cpuUsPerEvent.median, 2)} | ${fmt(p.cpuUsPerPlay.median, 2)} | ${fmt(p.cpuUsPerPlay.min, 2)}–${fmt(p.cpuUsPerPlay.max, 2)} |`,
      );
  }
  for (const p of r.parts ?? []) {
    const max = (xs: number[]) => (xs.length > 0 ? Math.max(...xs) : Number.NaN);
    const range = (xs: number[], unit: string) =>
      xs.length < 2 ? withUnit(xs[0], unit) : `${fmt(Math.min(...xs))}–${withUnit(max(xs), unit)}`;
    lines.push(
      '',
      `## Parts: ${p.object}, ${fmt(p.bytes / 1024 ** 3, 2)} GiB as read (${fmt(p.storedBytes / 1024 ** 2)} MiB stored), ${fmt(p.events)} events`,
      '',
      '| way | parts | plays written | total | over whole | longest part | longest stop → checkpoint | longest gap between parts | plays/s per part (first, last) | peak RSS per part | RSS of |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    );
    for (const run of p.runs)
      lines.push(
        `| ${run.way} | ${run.parts} | ${fmt(run.rowsWritten)} | ${withUnit(run.totalMs / 1000, 's', 1)} | ` +
          `${run.overWhole === undefined ? '' : withUnit(run.overWhole * 100, '%', 1)} | ${withUnit(max(run.partMs) / 1000, 's', 1)} | ${withUnit(max(run.stopToEndMs) / 1000, 's', 2)} | ` +
          `${withUnit(max(run.gapsMs) / 1000, 's', 1)} | ${fmt(run.playsPerSecPerPart[0])}${run.playsPerSecPerPart.length > 1 ? `, ${fmt(run.playsPerSecPerPart.at(-1))}` : ''} | ` +
          `${range(run.peakRssMbPerPart, 'MB')} | ${run.rssOf} |`,
      );
  }
  for (const s of r.splits ?? []) {
    const limit = s.runs[0]?.limitPerInvocation;
    lines.push(
      '',
      `## Splits: ${s.object}, ${fmt(s.storedBytes / 1024 ** 2, 2)} MiB stored, ${fmt(s.events)} events, ${limit ? `${fmt(limit)} writes/s per invocation` : 'unlimited'}`,
      '',
      '| splits | invocations | plays written | total | plays/s | speed-up over whole | plan | plan / whole | peak RSS per invocation |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const run of s.runs)
      lines.push(
        `| ${run.splits} | ${run.invocations} | ${fmt(run.rowsWritten)} | ${withUnit(run.totalMs / 1000, 's', 1)} | ${fmt(run.playsPerSec)} | ` +
          `${fmt(run.speedUp, 2)}× | ${withUnit(run.planMs, 'ms')} | ${withUnit((run.planShareOfWhole ?? 0) * 100, '%', 2)} | ${withUnit(run.peakRssMbPerInvocation, 'MB')} |`,
      );
  }
  if (r.commitlog) commitlogTable(r.commitlog, lines);
  if (r.memory.length > 0) {
    lines.push(
      '',
      '## Memory of ours (peak RSS of the ingest process)',
      '',
      '| input | events | peak RSS | rows/s |',
      '| ---: | ---: | ---: | ---: |',
    );
    for (const m of r.memory)
      lines.push(
        `| ${fmt(m.inputMb)} MB ${m.format} | ${fmt(m.events)} | ${fmt(m.peakRssMb)} MB | ${fmt(m.rowsPerSec)} |`,
      );
  }
  if (r.reads.length > 0) readTables(r, lines);
  if (r.flow) {
    const f = r.flow.uploadToQueryableMs;
    lines.push(
      '',
      '## Event flow: upload to queryable',
      '',
      `${r.flow.file} (${fmt(r.flow.bytes / 1024, 0)} KB) put into the LocalStack bucket → ObjectCreated → SQS → forwarder → ingest under serverless offline → Cassandra; timed until GET /sessions/{id}/items/{n} answers 200 for the file's last play: median ${fmt(f.median)} ms (${fmt(f.min)}–${fmt(f.max)} ms over ${f.runs.length} uploads).`,
    );
  }
  if (r.handlers.length > 0) {
    lines.push(
      '',
      '## Handlers: bundle size and cold start',
      '',
      `Bundled as deployed (esbuild, minified, AWS SDK v3 left to the runtime). Medians of ${r.handlers[0]?.starts} fresh Node processes each: module load (Lambda's Init Duration), the first invocation (connects to Cassandra, prepares), a warm one.`,
      '',
      '| handler | bundle | gzipped | init | first invocation | warm invocation |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const h of r.handlers)
      lines.push(
        `| ${h.handler} | ${fmt(h.bundleKb)} KB | ${fmt(h.bundleGzipKb)} KB | ${h.initMs} ms | ${h.firstInvokeMs} ms | ${h.warmInvokeMs} ms |`,
      );
  }
  lines.push('');
  return lines.join('\n');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function chartSvg(r: BenchResults): string {
  const width = 860;
  const barH = 26;
  const left = 170;
  const plot = width - left - 230;
  const parts: string[] = [];
  let y = 40;
  parts.push(
    `<text x="20" y="24" font-size="16" font-weight="bold">Ingest: song plays per second (median, min–max) and the loader's CPU per play, one local Cassandra node</text>`,
  );
  const maxRate = Math.max(...r.ingest.map((c) => c.rowsPerSec.max), 1);
  for (const c of r.ingest) {
    const w = (c.rowsPerSec.median / maxRate) * plot;
    const x0 = left + (c.rowsPerSec.min / maxRate) * plot;
    const x1 = left + (c.rowsPerSec.max / maxRate) * plot;
    const color = c.name === 'ours' ? '#2b6cb0' : '#a0aec0';
    parts.push(`<text x="${left - 8}" y="${y + 17}" font-size="13" text-anchor="end">${esc(c.name)}</text>`);
    parts.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH - 6}" fill="${color}"/>`);
    parts.push(
      `<line x1="${x0.toFixed(1)}" x2="${x1.toFixed(1)}" y1="${y + 10}" y2="${y + 10}" stroke="#1a202c" stroke-width="1.5"/>`,
    );
    const cpu = c.cpuUsPerPlay ? ` · ${fmt(c.cpuUsPerPlay.median, 1)} µs CPU/play` : '';
    parts.push(
      `<text x="${(left + w + 6).toFixed(1)}" y="${y + 15}" font-size="12">${fmt(c.rowsPerSec.median)}${cpu}</text>`,
    );
    y += barH;
  }
  y += 30;
  parts.push(
    `<text x="20" y="${y}" font-size="16" font-weight="bold">Reads: p99 latency in ms (concurrency 1 / 32)</text>`,
  );
  y += 16;
  const maxP99 = Math.max(...r.reads.map((l) => l.p99), 1);
  const colors: Record<string, string> = { driver: '#718096', handler: '#2b6cb0', http: '#dd6b20' };
  for (const q of ['q1', 'q2', 'q3'] as const) {
    for (const c of [1, 32]) {
      const rows = r.reads.filter((l) => l.query === q && l.concurrency === c);
      if (rows.length === 0) continue;
      parts.push(
        `<text x="${left - 8}" y="${y + 12 + (rows.length * 12) / 2}" font-size="13" text-anchor="end">${q.toUpperCase()} c=${c}</text>`,
      );
      for (const l of rows) {
        const w = (l.p99 / maxP99) * plot;
        parts.push(
          `<rect x="${left}" y="${y}" width="${Math.max(1, w).toFixed(1)}" height="10" fill="${colors[l.mode]}"/>`,
        );
        parts.push(
          `<text x="${(left + w + 6).toFixed(1)}" y="${y + 9}" font-size="10">${l.mode} ${l.p99}</text>`,
        );
        y += 12;
      }
      y += 8;
    }
  }
  const height = y + 20;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
