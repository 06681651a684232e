// The security reviewer's two tools on a packaged CloudFormation template: cfn-lint (the template's
// validity and practice) and checkov (its security checks). Both come from PyPI, pinned with all of
// their dependencies (stack/security/requirements.lock), into a virtualenv the project creates and
// caches under the user cache, as the stack does for LocalStack and the contract runs for
// schemathesis. The checks left failing are suppressed by name, with their reasons, in one file,
// stack/security/suppressions.yaml, which every scan reads. Used by the deploy tier
// (test/deploy/security-scan.test.ts), .ci/run (install) and `npm run security:scan`.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { findPython } from '../stack/localstack';
import { runCommand } from '../stack/proc';
import { type StackSettings, stackConfigDir } from '../stack/settings';

const lockFile = join(stackConfigDir, 'security', 'requirements.lock');
export const suppressionsFile = join(stackConfigDir, 'security', 'suppressions.yaml');
export const TOOLS = ['cfn-lint', 'checkov'] as const;
export type Tool = (typeof TOOLS)[number];

/** Each tool's suppressed check ids, with the reason for each. */
export type Suppressions = Record<Tool, Record<string, string>>;

export function readSuppressions(): Suppressions {
  const raw = (parse(readFileSync(suppressionsFile, 'utf8')) ?? {}) as Partial<Record<string, unknown>>;
  const unknown = Object.keys(raw).filter((k) => !(TOOLS as readonly string[]).includes(k));
  if (unknown.length > 0) throw new Error(`${suppressionsFile}: no such tool ${unknown.join(', ')}`);
  const out = {} as Suppressions;
  for (const tool of TOOLS) {
    const checks = (raw[tool] ?? {}) as Record<string, unknown>;
    for (const [id, reason] of Object.entries(checks)) {
      // A suppression without its reason is a silent one.
      if (typeof reason !== 'string' || reason.trim() === '') {
        throw new Error(`${suppressionsFile}: ${tool} ${id} gives no reason`);
      }
    }
    out[tool] = checks as Record<string, string>;
  }
  return out;
}

/** The virtualenv's bin folder, with the pinned cfn-lint and checkov, installed on first use. */
export async function ensureSecurityTools(s: StackSettings, log: (m: string) => void): Promise<string> {
  const python = findPython(s);
  if (!('path' in python)) throw new Error(`cfn-lint and checkov need a Python >= 3.12: ${python.missing}`);
  // Named after the Python and the lock's hash, so a new lock gets a new venv.
  const lockHash = createHash('sha256').update(readFileSync(lockFile)).digest('hex').slice(0, 10);
  const venv = join(s.cacheDir, `security-tools-py${python.version}-${lockHash}`);
  const bin = join(venv, 'bin');
  const done = join(venv, '.installed');
  if (existsSync(done)) return bin;
  // A venv without the marker is a half-finished install (a killed run): start it again.
  rmSync(venv, { recursive: true, force: true });
  mkdirSync(s.cacheDir, { recursive: true });
  log(`installing cfn-lint and checkov with their pinned dependencies from PyPI into ${venv}`);
  for (const [cmd, args] of [
    [python.path, ['-m', 'venv', venv]],
    [
      join(bin, 'python'),
      ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '-r', lockFile],
    ],
  ] as const) {
    const r = await runCommand(cmd, [...args]);
    if (r.status !== 0) {
      rmSync(venv, { recursive: true, force: true });
      throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.output}`);
    }
  }
  writeFileSync(done, `${new Date().toISOString()}\n`);
  return bin;
}

/** One failed check: the tool, its id, the level (cfn-lint's Error/Warning/Informational, checkov's FAILED), where. */
export interface Finding {
  tool: Tool;
  id: string;
  level: string;
  resource: string;
  message: string;
}

interface CfnLintMatch {
  Rule: { Id: string };
  Level: string;
  Message: string;
  Location: { Path: (string | number)[] };
}

interface CheckovReport {
  results: { failed_checks: { check_id: string; check_name: string; resource: string }[] };
  summary: { passed: number; parsing_errors: number; resource_count: number };
}

async function run(bin: string, tool: Tool, args: string[]): Promise<string> {
  // Without --skip-download checkov asks Prisma Cloud for guidelines; nothing here needs them.
  const r = await runCommand(join(bin, tool), args, { ...process.env, PYTHONWARNINGS: 'ignore' });
  // Both exit non-zero when something fails: their JSON says what; no JSON at all is the tool failing.
  if (!r.output.trimStart().startsWith('[') && !r.output.trimStart().startsWith('{')) {
    throw new Error(`${tool} ${args.join(' ')} exited ${r.status}:\n${r.output}`);
  }
  return r.output;
}

/**
 * cfn-lint and checkov on one template. With `suppress` (the default) the ids of
 * suppressions.yaml are passed to the tools; without, every failure comes back (what the
 * suppressions are checked against).
 */
export async function scanTemplate(bin: string, template: string, suppress = true): Promise<Finding[]> {
  const skipped = suppress ? readSuppressions() : { 'cfn-lint': {}, checkov: {} };
  const cfnIgnore = Object.keys(skipped['cfn-lint']);
  const lint = JSON.parse(
    await run(bin, 'cfn-lint', [
      '--format',
      'json',
      ...(cfnIgnore.length > 0 ? ['--ignore-checks', ...cfnIgnore] : []),
      '--',
      template,
    ]),
  ) as CfnLintMatch[];
  const checkovSkip = Object.keys(skipped.checkov);
  const checked = JSON.parse(
    await run(bin, 'checkov', [
      '--file',
      template,
      '--framework',
      'cloudformation',
      '--output',
      'json',
      '--compact',
      '--quiet',
      '--skip-download',
      ...(checkovSkip.length > 0 ? ['--skip-check', checkovSkip.join(',')] : []),
    ]),
  ) as CheckovReport | CheckovReport[];
  // One report per framework it ran; a list when several.
  const reports = Array.isArray(checked) ? checked : [checked];
  // A template checkov could not read passes every check: that is no scan.
  for (const { summary } of reports) {
    if (summary.parsing_errors > 0 || summary.resource_count === 0 || summary.passed === 0) {
      throw new Error(`checkov did not scan ${template}: ${JSON.stringify(summary)}`);
    }
  }
  return [
    ...lint.map((m) => ({
      tool: 'cfn-lint' as const,
      id: m.Rule.Id,
      level: m.Level,
      resource: m.Location.Path.slice(0, 2).join('/'),
      message: m.Message,
    })),
    ...reports.flatMap((r) =>
      r.results.failed_checks.map((c) => ({
        tool: 'checkov' as const,
        id: c.check_id,
        level: 'FAILED',
        resource: c.resource,
        message: c.check_name,
      })),
    ),
  ];
}

/** Findings counted by tool, level and id: `cfn-lint Warning W3005 ×17`. */
export function tally(findings: Finding[]): string[] {
  const counts = new Map<string, number>();
  for (const f of findings) {
    const key = `${f.tool} ${f.level} ${f.id}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()].sort().map(([key, n]) => `${key} ×${n}`);
}
