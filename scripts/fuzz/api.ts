// Schemathesis against the query API: the contract (openapi.yaml) and the running API must agree
// under every check it has (`--checks all`). Schemathesis comes from PyPI, pinned with all of its
// dependencies (stack/schemathesis/requirements.lock), into a virtualenv the project creates and
// caches under the user cache, as the stack does for LocalStack. Used by the integration tier's
// bounded run (test/integration/api-contract.test.ts) and by the long run (npm run fuzz:api).
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parse } from 'yaml';
import { SCOPES } from '../../lib/auth';
import { CSV_COLUMNS, csvField } from '../generate/format';
import { signLocalToken } from '../stack/issuer';
import { ensurePythonTools } from '../stack/python-tools';
import { readStackSettings, repoRoot, type StackSettings, stackConfigDir } from '../stack/settings';

export const SCHEMATHESIS_VERSION = '4.32.5';
const lockFile = join(stackConfigDir, 'schemathesis', 'requirements.lock');
export const contractFile = join(repoRoot, 'openapi.yaml');

/** The `st` command of a virtualenv holding the pinned schemathesis, installed on first use. */
export async function ensureSchemathesis(s: StackSettings, log: (m: string) => void): Promise<string> {
  const what = `schemathesis ${SCHEMATHESIS_VERSION}`;
  const name = `schemathesis-${SCHEMATHESIS_VERSION}`;
  return join(await ensurePythonTools(s, { name, what, lockFile }, log), 'st');
}

// ---------------------------------------------------------------------------------------------
// Data the contract's examples name, so that its examples (and the links from their answers) reach
// real rows instead of 404s, on a keyspace that does not hold the real logs.

interface ContractExamples {
  play: { sessionId: number; itemInSession: number };
  session: { userId: number; sessionId: number };
  song: string;
}

interface ExampleParameter {
  name: string;
  example?: unknown;
}

/** The example values openapi.yaml gives the three operations' parameters. */
export function contractExamples(): ContractExamples {
  const spec = parse(readFileSync(contractFile, 'utf8')) as {
    paths: Record<string, { get: { operationId: string; parameters: ExampleParameter[] } }>;
  };
  const example = (operationId: string, name: string): unknown => {
    const op = Object.values(spec.paths).find((p) => p.get.operationId === operationId)?.get;
    const value = op?.parameters.find((p) => p.name === name)?.example;
    if (value === undefined) throw new Error(`openapi.yaml gives ${operationId}.${name} no example`);
    return value;
  };
  return {
    play: {
      sessionId: Number(example('getSessionItem', 'sessionId')),
      itemInSession: Number(example('getSessionItem', 'itemInSession')),
    },
    session: {
      userId: Number(example('getUserSessionSongs', 'userId')),
      sessionId: Number(example('getUserSessionSongs', 'sessionId')),
    },
    song: String(example('getListeners', 'song')),
  };
}

const HEADER = CSV_COLUMNS.join(',');

function play(p: { user: number; session: number; item: number; song: string; artist: string }): string {
  return [
    p.artist,
    'Logged In',
    `First${p.user}`,
    'F',
    String(p.item),
    `Last${p.user}`,
    '200.5',
    'free',
    '',
    'PUT',
    'NextSong',
    '',
    String(p.session),
    p.song,
    '200',
    '1541000000000',
    String(p.user),
  ]
    .map(csvField)
    .join(',');
}

/** More rows than the default page (100), so that the default page has a next one. */
const PAGED_ROWS = 150;

/**
 * An event log in which the contract's examples exist: the example play, the example session with
 * more songs than a default page, and the example song with more listeners than a default page.
 */
export function examplesCsv(ex: ContractExamples = contractExamples()): string {
  const lines = [HEADER];
  const { play: q1, session: q2 } = ex;
  lines.push(
    play({ user: q2.userId + 1, session: q1.sessionId, item: q1.itemInSession, song: ex.song, artist: 'A1' }),
  );
  for (let i = 0; i < PAGED_ROWS; i++) {
    const song = i === 0 ? ex.song : `Example Song ${i}`;
    lines.push(play({ user: q2.userId, session: q2.sessionId, item: i, song, artist: `Artist ${i % 7}` }));
  }
  // Listeners on sessions of their own, away from the example ids above.
  for (let u = 1; u <= PAGED_ROWS; u++) {
    lines.push(play({ user: 1_000_000 + u, session: 2_000_000 + u, item: 0, song: ex.song, artist: 'A1' }));
  }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// A run and its figures.

export interface FuzzOptions {
  /** The API's base URL (serverless offline). */
  baseUrl: string;
  /** Schemathesis's time budget: fuzzing and stateful testing repeat until it is spent. */
  maxTimeSeconds: number;
  /** Reports (JSON and NDJSON) go here; created if missing. */
  reportDir: string;
  /** Default 1: the machine is small and shared; the API under offline answers one at a time anyway. */
  workers?: number;
  /** Given to reproduce a run; otherwise schemathesis picks one and the figures report it. */
  seed?: string;
  /** Each chunk of schemathesis's own output, as it comes (the long run shows it live). */
  onOutput?: (text: string) => void;
}

export interface CheckTally {
  passed: number;
  failed: number;
  skipped: number;
}

export interface FuzzFigures {
  exitCode: number | null;
  seed: string | null;
  runningTimeSeconds: number;
  /** HTTP requests schemathesis made (every interaction it recorded). */
  requests: number;
  byStatus: Record<string, number>;
  byMethod: Record<string, number>;
  /** Requests per test phase (examples, coverage, fuzzing, stateful). */
  byPhase: Record<string, number>;
  /** Every check by name: how often it passed, failed, or did not apply. */
  checks: Record<string, CheckTally>;
  /** Schemathesis's own summary of the failures (unique ones, by kind). */
  failures: { title: string; code: string; count: number; operations: string[] }[];
  errors: { title: string; count: number }[];
  phases: Record<string, string>;
  testCases: number;
  /** Schemathesis's terminal output. */
  output: string;
}

interface JsonReport {
  running_time: number;
  exit_code: number;
  phases: Record<string, { status: string }> | null;
  test_cases: { generated: number };
  failures: { title: string; code: string; count: number; operations: string[] }[];
  errors: { title: string; count: number }[];
}

interface ScenarioFinished {
  phase: string;
  /** A skipped scenario (the time budget spent) records neither checks nor interactions. */
  recorder: {
    checks?: Record<string, { name: string; status: string }[]>;
    interactions?: Record<string, { request: { method: string }; response: { status_code: number } | null }>;
  };
}

/** Tallies requests and checks from the NDJSON event log, one line at a time (it can be large). */
async function tally(ndjson: string, figures: FuzzFigures): Promise<void> {
  const add = (m: Record<string, number>, k: string) => {
    m[k] = (m[k] ?? 0) + 1;
  };
  const lines = createInterface({ input: createReadStream(ndjson), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (!line.startsWith('{"ScenarioFinished"')) continue;
    const event = (JSON.parse(line) as { ScenarioFinished: ScenarioFinished }).ScenarioFinished;
    for (const interaction of Object.values(event.recorder.interactions ?? {})) {
      figures.requests++;
      add(figures.byMethod, interaction.request.method);
      add(figures.byStatus, interaction.response ? String(interaction.response.status_code) : 'no response');
      add(figures.byPhase, event.phase);
    }
    for (const checks of Object.values(event.recorder.checks ?? {})) {
      for (const check of checks) {
        const t = figures.checks[check.name] ?? { passed: 0, failed: 0, skipped: 0 };
        figures.checks[check.name] = t;
        if (check.status === 'success') t.passed++;
        else if (check.status === 'failure') t.failed++;
        else t.skipped++;
      }
    }
  }
}

/** Runs `st run` with every check against the API; resolves with its figures, whatever they say. */
export async function runSchemathesis(st: string, opts: FuzzOptions): Promise<FuzzFigures> {
  mkdirSync(opts.reportDir, { recursive: true });
  const jsonReport = join(opts.reportDir, 'report.json');
  const ndjsonReport = join(opts.reportDir, 'events.ndjson');
  rmSync(jsonReport, { force: true });
  rmSync(ndjsonReport, { force: true });
  // A token of every scope that outlives the run (its `ignored_auth` check sends requests without it).
  const token = await signLocalToken(readStackSettings(), {
    scopes: Object.values(SCOPES),
    ttlSeconds: Math.min(86_400, opts.maxTimeSeconds + 900),
  });
  const args = [
    'run',
    contractFile,
    '--url',
    opts.baseUrl,
    '--header',
    `Authorization: Bearer ${token}`,
    '--checks',
    'all',
    '--max-time',
    String(opts.maxTimeSeconds),
    '--workers',
    String(opts.workers ?? 1),
    // The API's functions time out at 10 s; a request that takes longer is a finding, not a wait.
    '--request-timeout',
    '15',
    // No example database between runs: a run depends on its seed alone, so a failure reproduces.
    '--generation-database',
    'none',
    '--no-color',
    '--report',
    'json,ndjson',
    '--report-json-path',
    jsonReport,
    '--report-ndjson-path',
    ndjsonReport,
    ...(opts.seed ? ['--seed', opts.seed] : []),
  ];
  const chunks: string[] = [];
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    // Its working directory is the report folder, where anything else it writes stays too.
    const child = spawn(st, args, { cwd: opts.reportDir, stdio: ['ignore', 'pipe', 'pipe'] });
    // --max-time bounds the run; this bounds a run that hangs past it (start-up, a stuck request).
    const killer = setTimeout(() => child.kill('SIGKILL'), (opts.maxTimeSeconds + 180) * 1000);
    const take = (c: Buffer) => {
      const text = c.toString('utf8');
      chunks.push(text);
      opts.onOutput?.(text);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.once('error', (err) => {
      clearTimeout(killer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(killer);
      resolve(code);
    });
  });
  const output = chunks.join('');
  const figures: FuzzFigures = {
    exitCode,
    seed: null,
    runningTimeSeconds: 0,
    requests: 0,
    byStatus: {},
    byMethod: {},
    byPhase: {},
    checks: {},
    failures: [],
    errors: [],
    phases: {},
    testCases: 0,
    output,
  };
  if (!existsSync(jsonReport)) {
    figures.errors.push({ title: `schemathesis wrote no report (exit ${exitCode})`, count: 1 });
    return figures;
  }
  const text = readFileSync(jsonReport, 'utf8');
  const report = JSON.parse(text) as JsonReport;
  // The seed is a 128-bit integer: a JSON number would lose its digits, so it is read as written.
  figures.seed = /"seed":\s*(\d+)/.exec(text)?.[1] ?? null;
  figures.runningTimeSeconds = report.running_time;
  figures.failures = report.failures;
  figures.errors = report.errors;
  figures.testCases = report.test_cases.generated;
  figures.phases = Object.fromEntries(Object.entries(report.phases ?? {}).map(([k, v]) => [k, v.status]));
  if (existsSync(ndjsonReport)) await tally(ndjsonReport, figures);
  return figures;
}

const sorted = (m: Record<string, number>) =>
  Object.entries(m)
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`)
    .join(', ');

/** The figures as a few lines a person reads (and a note can quote). */
export function describeFigures(f: FuzzFigures): string {
  const checks = Object.entries(f.checks)
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(
      ([name, t]) =>
        `  ${name.padEnd(30)} ${String(t.passed).padStart(7)} passed ${String(t.failed).padStart(4)} failed ${String(t.skipped).padStart(7)} n/a`,
    );
  const failures = f.failures.map((x) => `  ${x.code} ${x.title}: ${x.count} (${x.operations.join(', ')})`);
  const errors = f.errors.map((x) => `  ${x.title}: ${x.count}`);
  return [
    `schemathesis ${SCHEMATHESIS_VERSION}, --checks all, seed ${f.seed ?? '?'}, ${f.runningTimeSeconds.toFixed(0)} s, exit ${f.exitCode}`,
    `requests: ${f.requests.toLocaleString('en-US')} (test cases ${f.testCases.toLocaleString('en-US')})`,
    `by phase: ${sorted(f.byPhase)}`,
    `by method: ${sorted(f.byMethod)}`,
    `by status: ${sorted(f.byStatus)}`,
    `phases: ${Object.entries(f.phases)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `checks (${Object.keys(f.checks).length}):`,
    ...checks,
    `failures: ${f.failures.reduce((n, x) => n + x.count, 0)}`,
    ...failures,
    `errors: ${f.errors.reduce((n, x) => n + x.count, 0)}`,
    ...errors,
  ].join('\n');
}

/** The real event logs beside the checkout (or TRACKLOG_REAL_DATA_DIR), sorted; none when absent. */
export function realLogFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  const dir = env.TRACKLOG_REAL_DATA_DIR ?? join(repoRoot, '..', 'shared', 'data', 'event_data');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.csv'))
    .sort()
    .map((f) => join(dir, f));
}
