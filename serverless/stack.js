// Bridges serverless.yml to lib/infra/stack.ts, so the bucket notifications, the per-function IAM
// roles and the Keyspaces tables come from the project's data model and constants rather than being
// typed again in YAML. The TypeScript is bundled with esbuild when the file is first read.
const { buildSync } = require('esbuild');
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

let infra;
function load() {
  if (!infra) {
    const outfile = join(mkdtempSync(join(tmpdir(), 'tracklog-infra-')), 'stack.cjs');
    buildSync({
      entryPoints: [join(__dirname, '..', 'lib', 'infra', 'stack.ts')],
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

/** A comma-separated param as a list ('' is none). */
async function list(resolveVariable, name) {
  return String(await resolveVariable(`param:${name}`))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The self-hosted cluster's subnets and security groups, when both are given (Keyspaces needs none). */
async function vpc(resolveVariable) {
  const [subnetIds, securityGroupIds] = [
    await list(resolveVariable, 'subnetIds'),
    await list(resolveVariable, 'securityGroupIds'),
  ];
  return subnetIds.length > 0 && securityGroupIds.length > 0 ? { subnetIds, securityGroupIds } : null;
}

/**
 * A mistake in the deploy's params, as osls shows its own: the message alone. osls prints a
 * ServerlessError (its "user error") without a stack, and passes one whose message starts with
 * "Cannot resolve variable at" through its variable resolver as it is; any other error thrown here
 * comes out wrapped in "Received rejection:" with the whole JavaScript stack trace. `property` is
 * the serverless.yml property whose variable failed: options() feeds `resources`.
 */
function configurationError(message, property = 'resources') {
  let ServerlessError;
  try {
    ServerlessError = require('serverless/lib/serverless-error');
  } catch {
    // Read without osls installed (a unit test of this file, say): the same shape, by name.
    ServerlessError = class ServerlessError extends Error {};
  }
  return new ServerlessError(
    `Cannot resolve variable at "${property}": ${message}`,
    'TRACKLOG_CONFIGURATION',
  );
}

/**
 * A param that must be a whole number of `unit` from `min` up, as a number; `property` is the
 * serverless.yml property it feeds (configurationError).
 */
async function wholeParam(resolveVariable, name, unit, { min = 1, property = 'resources' } = {}) {
  const raw = String(await resolveVariable(`param:${name}`));
  if (!/^\d+$/.test(raw) || Number(raw) < min) {
    const least = min === 1 ? 'above 0' : `of at least ${min}`;
    throw configurationError(
      `param ${name} is "${raw}": it must be a whole number of ${unit} ${least}`,
      property,
    );
  }
  return Number(raw);
}

async function options(resolveVariable) {
  const database = await resolveVariable('param:database');
  const { DATABASES } = load();
  if (!DATABASES.includes(database)) {
    throw configurationError(`param database must be ${DATABASES.join(' or ')}, got "${database}"`);
  }
  // The same values the functions' environment gets (custom.database in serverless.yml); the
  // password parameter is only fetched with password auth (lib/secrets.ts).
  if (
    database === 'cassandra' &&
    String(await resolveVariable('param:cassandraContactPoints')).trim() === ''
  ) {
    throw configurationError(
      'a self-hosted Cassandra needs its contact points: --param="cassandraContactPoints=10.0.1.10:9042,10.0.2.10:9042" ' +
        '(or CASSANDRA_CONTACT_POINTS), or deploy to Amazon Keyspaces with --param="database=keyspaces"',
    );
  }
  const auth = await resolveVariable(`self:custom.database.${database}.auth`);
  const passwordParameter = await resolveVariable(`self:custom.database.${database}.passwordParameter`);
  const keyspaceParam = String(await resolveVariable('param:keyspace'));
  let keyspace;
  try {
    keyspace = load().validKeyspace(keyspaceParam);
  } catch (err) {
    throw configurationError(err.message);
  }
  // The JWT authorizer needs the issuer's https URL; API Gateway refuses anything else at deploy.
  const issuer = String((await resolveVariable('param:authIssuer')) ?? '').trim();
  if (!(await isLocal(resolveVariable)) && !/^https:\/\/[^\s/]+/.test(issuer)) {
    throw configurationError(
      `param authIssuer is "${issuer}": the API's bearer tokens need their OIDC issuer, an https URL ` +
        '(--param="authIssuer=https://cognito-idp.<region>.amazonaws.com/<user pool id>")',
    );
  }
  // CloudFormation would take NaN or a fraction and create an alarm that never or always fires.
  const queueAgeAlarmSeconds = await wholeParam(resolveVariable, 'queueAgeAlarmSeconds', 'seconds');
  const outputsRetentionDays = await wholeParam(resolveVariable, 'outputsRetentionDays', 'days');
  const apiThrottleRateLimit = await wholeParam(resolveVariable, 'apiThrottleRateLimit', 'requests a second');
  const apiThrottleBurstLimit = await wholeParam(resolveVariable, 'apiThrottleBurstLimit', 'requests');
  return {
    service: await resolveVariable('self:service'),
    stage: await resolveVariable('sls:stage'),
    database,
    keyspace,
    rejectsPrefix: await resolveVariable('param:rejectsPrefix'),
    reportsPrefix: await resolveVariable('param:reportsPrefix'),
    cassandraPasswordParameter: auth === 'password' ? String(passwordParameter ?? '') : '',
    cursorSecretParameter: String((await resolveVariable('param:cursorSecretParameter')) ?? ''),
    vpc: (await vpc(resolveVariable)) !== null,
    alarmEmail: String((await resolveVariable('param:alarmEmail')) ?? ''),
    queueAgeAlarmSeconds,
    outputsRetentionDays,
    apiThrottleRateLimit,
    apiThrottleBurstLimit,
  };
}

module.exports.resources = async ({ resolveVariable }) =>
  load().stackResources(await options(resolveVariable));
module.exports.vpc = async ({ resolveVariable }) => vpc(resolveVariable);
/** Each function's reservedConcurrency (lib/infra/limits.ts), from the ingestConcurrency and apiConcurrency params. */
module.exports.concurrency = async ({ resolveVariable }) => {
  const property = 'custom.concurrency';
  return load().reservedConcurrency({
    // The queue's maximumConcurrency too, which SQS takes from 2.
    ingestConcurrency: await wholeParam(resolveVariable, 'ingestConcurrency', 'instances', {
      min: 2,
      property,
    }),
    apiConcurrency: await wholeParam(resolveVariable, 'apiConcurrency', 'instances', { property }),
  });
};
module.exports.names = async ({ resolveVariable }) =>
  load().stackNames(await resolveVariable('self:service'), await resolveVariable('sls:stage'));
/** `<service>_<stage>` with `-` mapped to `_` (the keyspace param's default on deployed stages). */
module.exports.defaultKeyspace = async ({ resolveVariable }) =>
  load().stageKeyspace(await resolveVariable('self:service'), await resolveVariable('sls:stage'));
/** The HTTP API's CORS (provider.httpApi.cors) from the corsOrigins param; false when it names none. */
module.exports.httpApiCors = async ({ resolveVariable }) => {
  const [raw, stage] = [
    String(await resolveVariable('param:corsOrigins')),
    await resolveVariable('sls:stage'),
  ];
  try {
    return load().httpApiCors(raw, stage);
  } catch (err) {
    throw configurationError(err.message, 'provider.httpApi.cors');
  }
};

/**
 * The queues the ingest sends to: this stack's own when deployed, the local event flow's under
 * serverless offline (the local stage, which talks to LocalStack), given in the environment.
 */
async function isLocal(resolveVariable) {
  return String((await resolveVariable('param:awsEndpointUrl')) ?? '') !== '';
}
module.exports.ingestQueueUrl = async ({ resolveVariable }) =>
  (await isLocal(resolveVariable)) ? (process.env.INGEST_QUEUE_URL ?? '') : { Ref: 'IngestQueue' };
module.exports.ingestDeadLetterQueueUrl = async ({ resolveVariable }) =>
  (await isLocal(resolveVariable))
    ? (process.env.INGEST_DEAD_LETTER_QUEUE_URL ?? '')
    : { Ref: 'IngestDeadLetterQueue' };
/** The ingest's outputs bucket: this stack's; under serverless offline, the local flow's own. */
module.exports.ingestOutputBucket = async ({ resolveVariable }) => {
  const names = load().stackNames(await resolveVariable('self:service'), await resolveVariable('sls:stage'));
  return (await isLocal(resolveVariable)) ? process.env.INGEST_OUTPUT_BUCKET || names.outputs : names.outputs;
};
