// npm run sim — the lifecycle simulator (test/sim/): runs seeds, each a deterministic run of the real
// notification handling, pipeline, lifecycle and report code against simulated SQS, S3, ledger,
// tables and clocks, with failures, lost answers and crashes at every await, and checks what must
// hold at quiescence.
//
//   npm run sim                             2,000 seeds from 1
//   npm run sim -- --seeds 100000 --from 1  seeds 1 to 100,000, on every core
//   npm run sim -- --seed 4176              one seed, with the trace of every call it made
//   npm run sim -- --no-sweep               without the sweep (and without lost or twice-delivered
//                                           messages): what the code must do without its backstop
//
// The last line reads `sim: <N> seeds, <V> violations`; the exit code is 1 when V > 0.
import { fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { simulate } from './simulate';

interface Options {
  from: number;
  seeds: number;
  seed: number | undefined;
  workers: number;
  worker: boolean;
  /** --no-sweep: what the code must do without its backstop (no message lost or duplicated). */
  sweep: boolean;
}

const USAGE = 'usage: npm run sim -- [--seeds N] [--from S] [--workers W] | --seed S';

function parse(argv: string[]): Options {
  const opts: Options = {
    from: 1,
    seeds: 2000,
    seed: undefined,
    workers: availableParallelism(),
    worker: false,
    sweep: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = Number(argv[++i]);
      if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${flag} takes a whole number; ${USAGE}`);
      return v;
    };
    if (flag === '--seeds') opts.seeds = value();
    else if (flag === '--from') opts.from = value();
    else if (flag === '--seed') opts.seed = value();
    else if (flag === '--workers') opts.workers = Math.max(1, value());
    else if (flag === '--worker') opts.worker = true;
    else if (flag === '--no-sweep') opts.sweep = false;
    else throw new Error(`unknown option ${flag}; ${USAGE}`);
  }
  return opts;
}

interface Summary {
  seeds: number;
  violations: number;
  failing: { seed: number; violations: string[] }[];
  steps: number;
  outcomes: Record<string, number>;
}

async function runRange(
  from: number,
  count: number,
  sweep: boolean,
  onSeed?: (done: number) => void,
): Promise<Summary> {
  const summary: Summary = { seeds: 0, violations: 0, failing: [], steps: 0, outcomes: {} };
  for (let seed = from; seed < from + count; seed++) {
    const r = await simulate(seed, { sweep });
    summary.seeds++;
    summary.steps += r.steps;
    for (const [k, n] of Object.entries(r.outcomes)) summary.outcomes[k] = (summary.outcomes[k] ?? 0) + n;
    if (r.violations.length > 0) {
      summary.violations += r.violations.length;
      summary.failing.push({ seed, violations: r.violations });
    }
    onSeed?.(summary.seeds);
  }
  return summary;
}

/** The range split over child processes (one per core), their summaries added up. */
async function runParallel(opts: Options): Promise<Summary> {
  const workers = Math.min(opts.workers, opts.seeds);
  const per = Math.ceil(opts.seeds / workers);
  const parts = await Promise.all(
    Array.from({ length: workers }, (_, w) => {
      const from = opts.from + w * per;
      const count = Math.max(0, Math.min(per, opts.from + opts.seeds - from));
      return new Promise<Summary>((resolve, reject) => {
        const args = [
          '--worker',
          '--from',
          String(from),
          '--seeds',
          String(count),
          ...(opts.sweep ? [] : ['--no-sweep']),
        ];
        const child = fork(__filename, args, {
          execArgv: process.execArgv,
        });
        let result: Summary | undefined;
        child.on('message', (m: { done?: number; summary?: Summary }) => {
          if (m.summary) result = m.summary;
          if (m.done !== undefined) progress(w, m.done);
        });
        child.on('exit', (code) =>
          result ? resolve(result) : reject(new Error(`sim worker for seeds ${from}.. exited with ${code}`)),
        );
      });
    }),
  );
  process.stderr.write('\n');
  return parts.reduce((a, b) => ({
    seeds: a.seeds + b.seeds,
    violations: a.violations + b.violations,
    failing: [...a.failing, ...b.failing],
    steps: a.steps + b.steps,
    outcomes: Object.fromEntries(
      [...new Set([...Object.keys(a.outcomes), ...Object.keys(b.outcomes)])].map((k) => [
        k,
        (a.outcomes[k] ?? 0) + (b.outcomes[k] ?? 0),
      ]),
    ),
  }));
}

const done: number[] = [];
let lastPrint = 0;
function progress(worker: number, n: number): void {
  done[worker] = n;
  const now = Date.now();
  if (now - lastPrint < 2000) return;
  lastPrint = now;
  process.stderr.write(`\rsim: ${done.reduce((a, b) => a + (b ?? 0), 0)} seeds run`);
}

async function main(): Promise<number> {
  const opts = parse(process.argv.slice(2));
  if (opts.worker) {
    const summary = await runRange(opts.from, opts.seeds, opts.sweep, (n) => {
      if (n % 100 === 0) process.send?.({ done: n });
    });
    process.send?.({ summary });
    return 0;
  }
  if (opts.seed !== undefined) {
    const r = await simulate(opts.seed, { trace: true, sweep: opts.sweep });
    process.stdout.write(`${(r.trace ?? []).join('\n')}\n`);
    process.stdout.write(
      `seed ${opts.seed}: ${r.versions} version(s), ended ${JSON.stringify(r.outcomes)}, ${r.steps} steps, ` +
        `${(r.virtualMs / 60_000).toFixed(1)} virtual minutes, ${r.ended}\n`,
    );
    for (const v of r.violations) process.stdout.write(`VIOLATION ${v}\n`);
    process.stdout.write(`sim: 1 seeds, ${r.violations.length} violations\n`);
    return r.violations.length > 0 ? 1 : 0;
  }
  const started = Date.now();
  const s = await runParallel(opts);
  for (const f of s.failing.sort((a, b) => a.seed - b.seed)) {
    const replay = `npm run sim -- --seed ${f.seed}${opts.sweep ? '' : ' --no-sweep'}`;
    process.stdout.write(`seed ${f.seed}: ${f.violations.join('; ')}\n  replay: ${replay}\n`);
  }
  process.stdout.write(
    `seeds ${opts.from}–${opts.from + opts.seeds - 1}: ${s.steps.toLocaleString('en-US')} calls and timers, ` +
      `versions ended ${JSON.stringify(s.outcomes)}, ${s.failing.length} failing seed(s), ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  process.stdout.write(`sim: ${s.seeds} seeds, ${s.violations} violations\n`);
  return s.violations > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
