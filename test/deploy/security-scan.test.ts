// The security reviewer's tools in the deploy tier: cfn-lint and checkov (pinned,
// stack/security/requirements.lock) on the packaged template of each variant find nothing but the
// checks suppressed, by name and with their reasons, in stack/security/suppressions.yaml; and each
// of those still fails without its suppression, so none stays once its reason has gone.
import { join } from 'node:path';
import { ensureSecurityTools, readSuppressions, scanTemplate, TOOLS } from '../../scripts/security/scan';
import { readStackSettings } from '../../scripts/stack/settings';
import { packaged } from './support/package';

/** The first run installs the tools from PyPI (about 100 MB, a minute or two); .ci/run does it first. */
const INSTALL_TIMEOUT_MS = 600_000;
const SCAN_TIMEOUT_MS = 180_000;

const VARIANTS = [
  ['self-hosted Cassandra', ['--param=cassandraContactPoints=10.0.1.10:9042']],
  ['Amazon Keyspaces', ['--param=database=keyspaces']],
] as const;

let bin: string | undefined;
beforeAll(async () => {
  bin = await ensureSecurityTools(readStackSettings(), (m) => process.stderr.write(`[security] ${m}\n`));
}, INSTALL_TIMEOUT_MS);
const tools = () => {
  if (!bin) throw new Error('cfn-lint and checkov were not installed');
  return bin;
};

describe.each(VARIANTS)('cfn-lint and checkov on the packaged stage prod (%s)', (_name, args) => {
  const stack = packaged(['--stage', 'prod', ...args]);
  const template = () => join(stack().dir, 'cloudformation-template-update-stack.json');

  it(
    'find no error, warning or failed check besides those suppressed',
    async () => {
      expect(await scanTemplate(tools(), template())).toEqual([]);
    },
    SCAN_TIMEOUT_MS,
  );

  it(
    'still fail each suppressed check without its suppression, and nothing else',
    async () => {
      const suppressed = readSuppressions();
      const findings = await scanTemplate(tools(), template(), false);
      for (const tool of TOOLS) {
        const failing = new Set(findings.filter((f) => f.tool === tool).map((f) => f.id));
        expect([...failing].sort()).toEqual(Object.keys(suppressed[tool]).sort());
      }
    },
    SCAN_TIMEOUT_MS,
  );
});
