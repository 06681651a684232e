// npm run security:scan -- TEMPLATE.json...: cfn-lint and checkov on packaged CloudFormation
// templates (`npx serverless package --package DIR` writes DIR/cloudformation-template-update-stack.json),
// with the suppressions of stack/security/suppressions.yaml; prints what failed, by tool and check,
// and exits 1 if anything did. `--all` scans without the suppressions (the figures before them).
// `tsx scripts/security.ts install` only installs the pinned tools (what .ci/run does up front).
import { parseCommandLine, runCli, UsageError } from './cli';
import { ensureSecurityTools, scanTemplate, tally } from './security/scan';
import { readStackSettings } from './stack/settings';

const USAGE = 'Usage: tsx scripts/security.ts install | scan [--all] TEMPLATE.json...';

runCli('security', USAGE, async () => {
  const { values, positionals } = parseCommandLine(
    process.argv.slice(2),
    { all: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    true,
  );
  const [command, ...templates] = positionals;
  if (values.help) throw new UsageError();
  const log = (m: string) => process.stderr.write(`[security] ${m}\n`);
  const bin = await ensureSecurityTools(readStackSettings(), log);
  if (command === 'install' && templates.length === 0) {
    log(`cfn-lint and checkov in ${bin}`);
    return 0;
  }
  if (command !== 'scan' || templates.length === 0)
    throw new UsageError('name a command and, to scan, templates');
  let failed = 0;
  for (const template of templates) {
    const findings = await scanTemplate(bin, template, !values.all);
    failed += findings.length;
    process.stdout.write(`${template}: ${findings.length} failed\n`);
    for (const line of tally(findings)) process.stdout.write(`  ${line}\n`);
  }
  return failed === 0 ? 0 : 1;
});
