// Bridges serverless.yml to lib/infra/cloudformation.ts, so the bucket notifications, the IAM
// statements and the Keyspaces tables come from the project's data model and constants rather than
// being typed again in YAML. The TypeScript is bundled in memory with esbuild when the file is read.
const { buildSync } = require('esbuild');
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

let infra;
function load() {
  if (!infra) {
    const outfile = join(mkdtempSync(join(tmpdir(), 'tracklog-infra-')), 'cloudformation.cjs');
    buildSync({
      entryPoints: [join(__dirname, '..', 'lib', 'infra', 'cloudformation.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile,
      logLevel: 'silent',
    });
    infra = require(outfile);
  }
  return infra;
}

async function options(resolveVariable) {
  const database = await resolveVariable('param:database');
  if (database !== 'cassandra' && database !== 'keyspaces') {
    throw new Error(`param database must be cassandra or keyspaces, got "${database}"`);
  }
  return {
    service: await resolveVariable('self:service'),
    stage: await resolveVariable('sls:stage'),
    database,
    keyspace: await resolveVariable('param:keyspace'),
    rejectsPrefix: await resolveVariable('param:rejectsPrefix'),
    reportsPrefix: await resolveVariable('param:reportsPrefix'),
  };
}

module.exports.resources = async ({ resolveVariable }) =>
  load().stackResources(await options(resolveVariable));
module.exports.iamStatements = async ({ resolveVariable }) =>
  load().iamStatements(await options(resolveVariable));
/** The self-hosted cluster's subnets and security groups, when given (Keyspaces needs none). */
module.exports.vpc = async ({ resolveVariable }) => {
  const ids = async (name) =>
    String(await resolveVariable(`param:${name}`))
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const [subnetIds, securityGroupIds] = [await ids('subnetIds'), await ids('securityGroupIds')];
  return subnetIds.length > 0 && securityGroupIds.length > 0 ? { subnetIds, securityGroupIds } : null;
};
module.exports.names = async ({ resolveVariable }) => {
  const o = await options(resolveVariable);
  return load().stackNames(o.service, o.stage);
};
