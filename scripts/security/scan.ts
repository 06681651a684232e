import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { runCommand } from '../stack/proc';
import { ensurePythonTools } from '../stack/python-tools';
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
export function ensureSecurityTools(s: StackSettings, log: (m: string) => void): Promise<string> {
  return ensurePythonTools(s, { name: 'security-tools', what: 'cfn-lint and checkov', lockFile }, log);
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
