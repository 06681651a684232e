// The stack generators of lib/infra without the framework: the name and param rules, the Keyspaces
// columns, and serverless/stack.js (what serverless.yml resolves) called with a fake resolver. The
// packaged CloudFormation is checked by the `deploy` tier (test/deploy/).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { allTables } from '../../lib/cassandra/model';
import { DATABASES } from '../../lib/infra/names';
import { httpApiCors, stackResources, stageKeyspace } from '../../lib/infra/stack';

// The bridge serverless.yml loads (plain CommonJS; it bundles lib/infra/stack.ts with esbuild).
type Resolver = { resolveVariable: (name: string) => Promise<unknown> };
const stackJs: { resources: (r: Resolver) => Promise<{ Resources: Record<string, { Type: string }> }> } =
  require('../../serverless/stack.js');

describe('stageKeyspace', () => {
  it.each([
    ['prod', 'tracklog_prod'],
    ['pr-42', 'tracklog_pr_42'],
    ['Staging-EU-1', 'tracklog_staging_eu_1'],
  ])('names the keyspace of stage %s %s', (stage, keyspace) => {
    expect(stageKeyspace('tracklog', stage)).toBe(keyspace);
  });

  it('refuses a name longer than the 48 characters Cassandra allows, saying which param to set', () => {
    expect(() => stageKeyspace('tracklog', 'x'.repeat(40))).toThrow(/--param="keyspace=/);
  });
});

describe('httpApiCors', () => {
  it('allows GET with a bearer token from the origins of the comma-separated param', () => {
    expect(httpApiCors('https://a.example, https://b.example:8443', 'prod')).toEqual({
      allowedOrigins: ['https://a.example', 'https://b.example:8443'],
      allowedMethods: ['GET'],
      // Without Authorization a browser's preflight refuses the token; without the exposed headers a
      // page cannot read when to retry a 503 or why its token was refused.
      allowedHeaders: ['Authorization', 'Content-Type', 'X-Amzn-Trace-Id'],
      exposedResponseHeaders: ['Retry-After', 'WWW-Authenticate'],
    });
  });

  it('configures no CORS at all when the param names no origin', () => {
    expect(httpApiCors('', 'prod')).toBe(false);
    expect(httpApiCors(' , ', 'local')).toBe(false);
  });

  it('allows * on the local stage only', () => {
    expect(httpApiCors('*', 'local')).toMatchObject({ allowedOrigins: ['*'], allowedMethods: ['GET'] });
    expect(() => httpApiCors('*', 'prod')).toThrow(
      /param corsOrigins \* allows every origin, which only the local stage may: name the origins that may call stage prod/,
    );
  });

  it.each([['a.example'], ['https://a.example/'], ['https://a.example/path'], ['*,https://a.example']])(
    'refuses "%s"',
    (raw) => {
      expect(() => httpApiCors(raw, 'local')).toThrow(/param corsOrigins/);
    },
  );
});

describe('the Keyspaces tables', () => {
  const { Resources } = stackResources({
    service: 'tracklog',
    stage: 'prod',
    database: 'keyspaces',
    keyspace: 'tracklog_prod',
    rejectsPrefix: 'rejected/',
    reportsPrefix: 'reports/',
    cassandraPasswordParameter: '',
    cursorSecretParameter: '/tracklog/prod/cursor-secret',
    vpc: false,
    alarmEmail: '',
    queueAgeAlarmSeconds: 3600,
    outputsRetentionDays: 30,
    apiThrottleRateLimit: 50,
    apiThrottleBurstLimit: 100,
  });

  it('give each column its CQL type from the data model, static columns marked STATIC', () => {
    const types = (name: string) => {
      const table = Object.values(Resources).find(
        (r) => r.Type === 'AWS::Cassandra::Table' && r.Properties.TableName === name,
      )?.Properties as {
        PartitionKeyColumns: { ColumnName: string; ColumnType: string }[];
        ClusteringKeyColumns: { Column: { ColumnName: string; ColumnType: string } }[];
        RegularColumns: { ColumnName: string; ColumnType: string }[];
      };
      return Object.fromEntries(
        [
          ...table.PartitionKeyColumns,
          ...table.ClusteringKeyColumns.map((c) => c.Column),
          ...table.RegularColumns,
        ].map((c) => [c.ColumnName, c.ColumnType]),
      );
    };
    expect(allTables.length).toBeGreaterThan(0);
    for (const model of allTables) {
      expect(types(model.name)).toEqual(
        Object.fromEntries(model.columns.map((c) => [c.name, `${c.type}${c.static ? ' STATIC' : ''}`])),
      );
    }
  });
});

describe('serverless/stack.js', () => {
  /** A resolver for a Keyspaces or self-hosted stage `prod`; an unexpected variable fails the test. */
  const resolver = (database: string): Resolver => {
    const values: Record<string, string> = {
      'param:database': database,
      'param:cassandraContactPoints': '10.0.1.10:9042',
      [`self:custom.database.${database}.auth`]: database === 'keyspaces' ? 'sigv4' : 'password',
      [`self:custom.database.${database}.passwordParameter`]: '',
      'self:service': 'tracklog',
      'sls:stage': 'prod',
      'param:keyspace': 'tracklog_prod',
      'param:rejectsPrefix': 'rejected/',
      'param:reportsPrefix': 'reports/',
      'param:cursorSecretParameter': '/tracklog/prod/cursor-secret',
      'param:subnetIds': '',
      'param:securityGroupIds': '',
      'param:alarmEmail': '',
      'param:queueAgeAlarmSeconds': '3600',
      'param:authIssuer': 'https://issuer.example.com',
      'param:awsEndpointUrl': '',
      'param:outputsRetentionDays': '30',
      'param:apiThrottleRateLimit': '50',
      'param:apiThrottleBurstLimit': '100',
    };
    return {
      resolveVariable: async (name) => {
        if (!(name in values)) throw new Error(`unexpected variable ${name}`);
        return values[name];
      },
    };
  };
  const keyspaceResources = (r: { Resources: Record<string, { Type: string }> }) =>
    Object.values(r.Resources).filter((x) => x.Type.startsWith('AWS::Cassandra::'));

  it('accepts each database of DATABASES, with Keyspaces resources only for keyspaces', async () => {
    // The databases serverless.yml configures (custom.database.<database>).
    const yml = parse(readFileSync(join(__dirname, '..', '..', 'serverless.yml'), 'utf8'), {
      logLevel: 'error',
    });
    expect([...DATABASES].sort()).toEqual(Object.keys(yml.custom.database).sort());
    expect(keyspaceResources(await stackJs.resources(resolver('cassandra')))).toEqual([]);
    expect(keyspaceResources(await stackJs.resources(resolver('keyspaces')))).toHaveLength(
      allTables.length + 1,
    );
  });

  it('refuses any other database, naming those it accepts', async () => {
    await expect(stackJs.resources(resolver('dynamodb'))).rejects.toThrow(
      'param database must be cassandra or keyspaces, got "dynamodb"',
    );
  });
});
