// `serverless package` (osls, no AWS account needed) for three variants, each packaged once: the
// default self-hosted Cassandra, Amazon Keyspaces, and self-hosted in a VPC. The generated
// CloudFormation is read back and checked: trigger, routes, per-function IAM, CORS, timeouts,
// Keyspaces resources, bundles.

import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  allTables,
  ingestLedger,
  listenersBySong,
  playsBySession,
  songsByUserSession,
} from '../../lib/cassandra/model';
import { BUCKET_TRIGGER_SUFFIXES } from '../../lib/events/formats';
import { INGEST_TIMEOUT_SECONDS } from '../../lib/infra/events';
import { corsOrigins, FUNCTIONS, type FunctionName, stageKeyspace } from '../../lib/infra/names';

const repo = resolve(__dirname, '..', '..');
const PACKAGE_TIMEOUT_MS = 120_000;

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
  DependsOn?: string[];
  UpdateReplacePolicy?: string;
}

interface Template {
  Resources: Record<string, Resource>;
}

interface Packaged {
  template: Template;
  dir: string;
}

/**
 * Packages a copy of the service (its node_modules linked) so that `.serverless` and the esbuild
 * folder are this run's own: osls empties `.serverless` in the service folder when it packages, so
 * two runs in one checkout would remove each other's artifacts.
 */
function withoutContactPoints(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { CASSANDRA_CONTACT_POINTS: _, ...rest } = env;
  return rest;
}

function packageStack(args: string[]): Packaged {
  const service = mkdtempSync(join(tmpdir(), 'sls-service-'));
  const dir = mkdtempSync(join(tmpdir(), 'sls-package-'));
  try {
    for (const path of [
      'serverless.yml',
      'package.json',
      'tsconfig.json',
      'serverless',
      'lib',
      'functions',
    ]) {
      cpSync(join(repo, path), join(service, path), { recursive: true });
    }
    symlinkSync(join(repo, 'node_modules'), join(service, 'node_modules'), 'dir');
    const res = spawnSync(
      join(repo, 'node_modules', '.bin', 'serverless'),
      ['package', '--package', dir, ...args],
      {
        cwd: service,
        encoding: 'utf8',
        // Only what the arguments say: a contact point in the developer's environment would hide a missing one.
        env: { ...withoutContactPoints(process.env), TRACKLOG_ESBUILD_DIR: '.esbuild', AWS_ENDPOINT_URL: '' },
      },
    );
    if (res.status !== 0) throw new Error(`serverless package failed:\n${res.stdout}\n${res.stderr}`);
  } finally {
    rmSync(service, { recursive: true, force: true });
  }
  return {
    template: JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')),
    dir,
  };
}

/** Packages in beforeAll (once per variant) and hands the result to the tests of the block. */
function packaged(args: string[]): () => Packaged {
  let result: Packaged | undefined;
  beforeAll(() => {
    result = packageStack(args);
  }, PACKAGE_TIMEOUT_MS);
  return () => {
    if (!result) throw new Error('the stack was not packaged');
    return result;
  };
}

/** A resource's properties; a missing resource fails the test with its name. */
function props(t: Template, id: string): Record<string, unknown> {
  const resource = t.Resources[id];
  if (!resource) throw new Error(`the template has no ${id}`);
  return resource.Properties;
}

const ofType = (t: Template, type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type);

// serverless's logical ids (`<Function>LambdaFunction`, `<Function>LogGroup`) and the roles
// serverless.yml names (`role: <Function>Role`).
const capitalized = (fn: FunctionName) => `${fn[0]?.toUpperCase()}${fn.slice(1)}`;
const lambdaId = (fn: FunctionName) => `${capitalized(fn)}LambdaFunction`;
const roleId = (fn: FunctionName) => `${capitalized(fn)}Role`;
const QUERY_FUNCTIONS = ['getSessionItem', 'getUserSessionSongs', 'getListeners'] as const;
/** The one table each query reads (lib/queries/store.ts). */
const QUERY_TABLE = {
  getSessionItem: playsBySession.name,
  getUserSessionSongs: songsByUserSession.name,
  getListeners: listenersBySong.name,
} as const;
/** ENI management in a VPC: the Describe actions (which AWS allows only on `*`) and the rest. */
const VPC_DESCRIBE_ACTIONS = ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'];
const VPC_ENI_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

function env(t: Template, fn: FunctionName): Record<string, string> {
  return (props(t, lambdaId(fn)).Environment as { Variables: Record<string, string> }).Variables;
}

interface Statement {
  Effect: string;
  Action: string[];
  Resource: unknown[];
}

/** The statements of a function's own role (its inline policies; it has no managed ones). */
function roleStatements(t: Template, fn: FunctionName): Statement[] {
  const role = props(t, roleId(fn)) as {
    Policies: { PolicyDocument: { Statement: Statement[] } }[];
  };
  return role.Policies.flatMap((p) => p.PolicyDocument.Statement);
}

const actions = (statements: Statement[], prefix: string) =>
  statements.filter((s) => s.Action.some((a) => a.startsWith(prefix)));

/** Every policy statement anywhere in the template (roles, policies, queue policies...). */
function allStatements(
  node: unknown,
  path = 'Resources',
): { path: string; statement: Record<string, unknown> }[] {
  if (Array.isArray(node)) return node.flatMap((n, i) => allStatements(n, `${path}[${i}]`));
  if (node === null || typeof node !== 'object') return [];
  const obj = node as Record<string, unknown>;
  const here = 'Effect' in obj && ('Action' in obj || 'NotAction' in obj) ? [{ path, statement: obj }] : [];
  return [...here, ...Object.entries(obj).flatMap(([k, v]) => allStatements(v, `${path}.${k}`))];
}

/** Where a key (ManagedPolicyArns, NotResource...) occurs anywhere in the template. */
function keyPaths(node: unknown, key: string, path = 'Resources'): string[] {
  if (Array.isArray(node)) return node.flatMap((n, i) => keyPaths(n, key, `${path}[${i}]`));
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node as Record<string, unknown>).flatMap(([k, v]) => [
    ...(k === key ? [`${path}.${k}`] : []),
    ...keyPaths(v, key, `${path}.${k}`),
  ]);
}

const resources = (s: Record<string, unknown>) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

/** The statements with a `*` resource, by where they are. */
const starStatements = (t: Template) =>
  allStatements(t.Resources).filter(({ statement }) => resources(statement).includes('*'));

const ssmArn = (name: string) => ({
  'Fn::Sub': `arn:aws:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${name}`,
});
const logGroup = (fn: FunctionName) => ({ 'Fn::GetAtt': [`${capitalized(fn)}LogGroup`, 'Arn'] });
const logs = (fn: FunctionName): Statement => ({
  Effect: 'Allow',
  Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  Resource: [logGroup(fn)],
});

/** The SSM parameters a function fetches at start (lib/secrets.ts): those its environment names. */
function fetchedParameters(t: Template, fn: FunctionName): string[] {
  const e = env(t, fn);
  return [
    e.CASSANDRA_AUTH === 'password' ? e.CASSANDRA_PASSWORD_SSM_PARAMETER : undefined,
    e.CURSOR_SECRET_SSM_PARAMETER,
  ].filter((p): p is string => p !== undefined && p.length > 0);
}

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

describe('corsOrigins', () => {
  it('splits the comma-separated param into origins', () => {
    expect(corsOrigins('https://a.example, https://b.example:8443')).toEqual([
      'https://a.example',
      'https://b.example:8443',
    ]);
    expect(corsOrigins('*')).toEqual(['*']);
  });

  it.each([[''], ['a.example'], ['https://a.example/'], ['https://a.example/path'], ['*,https://a.example']])(
    'refuses "%s"',
    (raw) => {
      expect(() => corsOrigins(raw)).toThrow(/param corsOrigins/);
    },
  );
});

describe('serverless package (self-hosted Cassandra)', () => {
  const stack = packaged(['--stage', 'prod', '--param=cassandraContactPoints=10.0.1.10:9042,10.0.2.10:9042']);

  it(
    'refuses to package a self-hosted stage without contact points, rather than guess an address',
    () => {
      expect(() => packageStack(['--stage', 'prod'])).toThrow(
        /needs its contact points: --param="cassandraContactPoints=/,
      );
    },
    PACKAGE_TIMEOUT_MS,
  );

  it('runs every function on Node.js 22 on arm64', () => {
    const fns = ofType(stack().template, 'AWS::Lambda::Function');
    expect(fns.map(([id]) => id).sort()).toEqual(FUNCTIONS.map(lambdaId).sort());
    for (const [, fn] of fns)
      expect([fn.Properties.Runtime, fn.Properties.Architectures]).toEqual(['nodejs22.x', ['arm64']]);
  });

  it('triggers the ingest from the raw-events bucket through SQS, with a dead-letter queue', () => {
    const { template } = stack();
    const notifications = (
      props(template, 'RawEventsBucket').NotificationConfiguration as {
        QueueConfigurations: {
          Event: string;
          Queue: unknown;
          Filter: { S3Key: { Rules: { Name: string; Value: string }[] } };
        }[];
      }
    ).QueueConfigurations;
    expect(notifications.map((n) => n.Filter.S3Key.Rules[0]?.Value)).toEqual([...BUCKET_TRIGGER_SUFFIXES]);
    for (const n of notifications)
      expect([n.Event, n.Queue]).toEqual(['s3:ObjectCreated:*', { 'Fn::GetAtt': ['IngestQueue', 'Arn'] }]);
    expect(props(template, 'RawEventsBucket').BucketName).toBe('tracklog-prod-raw-events');

    const mapping = ofType(template, 'AWS::Lambda::EventSourceMapping')[0]?.[1];
    expect(mapping?.Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': ['IngestQueue', 'Arn'] },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 4 },
    });
    // The mapping is created once the role may read the queue.
    expect(mapping?.DependsOn).toContain('IngestRole');
    expect(props(template, 'IngestQueue')).toMatchObject({
      VisibilityTimeout: INGEST_TIMEOUT_SECONDS * 6,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': ['IngestDeadLetterQueue', 'Arn'] },
        maxReceiveCount: 5,
      },
    });
    expect(props(template, 'IngestLambdaFunction').Timeout).toBe(INGEST_TIMEOUT_SECONDS);
    // Only S3 notifications from this bucket may send to the queue.
    expect(JSON.stringify(props(template, 'IngestQueuePolicy'))).toContain(
      'arn:aws:s3:::tracklog-prod-raw-events',
    );
  });

  it('routes the three queries and everything else (JSON 404) through the HTTP API', () => {
    const routes = ofType(stack().template, 'AWS::ApiGatewayV2::Route').map(
      ([, route]) => route.Properties.RouteKey,
    );
    expect(routes.sort()).toEqual([
      '$default',
      'GET /listeners',
      'GET /sessions/{sessionId}/items/{itemInSession}',
      'GET /users/{userId}/sessions/{sessionId}/songs',
    ]);
  });

  it('gives each function a role of its own, assumable by Lambda only, and no shared role', () => {
    const { template } = stack();
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
    for (const fn of FUNCTIONS) {
      expect(props(template, lambdaId(fn)).Role).toEqual({ 'Fn::GetAtt': [roleId(fn), 'Arn'] });
      expect(props(template, roleId(fn)).AssumeRolePolicyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com'] }, Action: ['sts:AssumeRole'] },
        ],
      });
    }
    expect(
      ofType(template, 'AWS::IAM::Role')
        .map(([id]) => id)
        .sort(),
    ).toEqual(FUNCTIONS.map(roleId).sort());
  });

  it('lets the ingest read raw objects, write only under rejects and reports, and use its queue', () => {
    const ingest = roleStatements(stack().template, 'ingest');
    expect(actions(ingest, 's3:')).toEqual([
      { Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::tracklog-prod-raw-events/*'] },
      {
        Effect: 'Allow',
        Action: ['s3:PutObject'],
        Resource: [
          'arn:aws:s3:::tracklog-prod-raw-events/rejected/*',
          'arn:aws:s3:::tracklog-prod-raw-events/reports/*',
        ],
      },
      // A stale rejects object is removed when a new version of the object has no rejects.
      {
        Effect: 'Allow',
        Action: ['s3:DeleteObject'],
        Resource: ['arn:aws:s3:::tracklog-prod-raw-events/rejected/*'],
      },
    ]);
    expect(actions(ingest, 'sqs:')).toEqual([
      {
        Effect: 'Allow',
        Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
        Resource: [{ 'Fn::GetAtt': ['IngestQueue', 'Arn'] }],
      },
    ]);
    expect(ingest[0]).toEqual(logs('ingest'));
    expect(actions(ingest, 'cassandra:')).toEqual([]);
    expect(actions(ingest, 'ec2:')).toEqual([]);
  });

  it('gives the query functions their logs and secrets only: no S3, no queue', () => {
    for (const fn of QUERY_FUNCTIONS) {
      expect(roleStatements(stack().template, fn)).toEqual([
        logs(fn),
        {
          Effect: 'Allow',
          Action: ['ssm:GetParameter'],
          Resource: [ssmArn('/tracklog/prod/cursor-secret'), ssmArn('/tracklog/prod/cassandra-password')],
        },
      ]);
    }
  });

  it('gives notFound nothing but its own logs', () => {
    expect(roleStatements(stack().template, 'notFound')).toEqual([logs('notFound')]);
  });

  it('grants each function exactly the SSM parameters its environment makes it fetch', () => {
    const { template } = stack();
    for (const fn of FUNCTIONS.filter((f) => f !== 'notFound')) {
      const granted = actions(roleStatements(template, fn), 'ssm:').flatMap((s) => s.Resource);
      expect(fetchedParameters(template, fn).length).toBeGreaterThan(0);
      expect(granted).toEqual(expect.arrayContaining(fetchedParameters(template, fn).map(ssmArn)));
      expect(granted).toHaveLength(fetchedParameters(template, fn).length);
    }
  });

  it('has no * resource and no managed policy anywhere', () => {
    const { template } = stack();
    expect(allStatements(template.Resources).length).toBeGreaterThan(FUNCTIONS.length);
    expect(starStatements(template)).toEqual([]);
    expect(keyPaths(template.Resources, 'ManagedPolicyArns')).toEqual([]);
    expect(keyPaths(template.Resources, 'NotResource')).toEqual([]);
  });

  it('names SSM parameters for secrets instead of holding them', () => {
    const { template } = stack();
    const variables = env(template, 'ingest');
    expect(variables.CASSANDRA_PASSWORD).toBeUndefined();
    expect(variables.CASSANDRA_PASSWORD_SSM_PARAMETER).toBe('/tracklog/prod/cassandra-password');
    // Only the query functions sign cursors: the ingest is given no cursor secret, nor allowed one.
    expect(variables.CURSOR_SECRET_SSM_PARAMETER).toBeUndefined();
    expect(actions(roleStatements(template, 'ingest'), 'ssm:').flatMap((s) => s.Resource)).toEqual([
      ssmArn('/tracklog/prod/cassandra-password'),
    ]);
    for (const fn of QUERY_FUNCTIONS)
      expect(env(template, fn).CURSOR_SECRET_SSM_PARAMETER).toBe('/tracklog/prod/cursor-secret');
    expect(ofType(template, 'AWS::Cassandra::Table')).toEqual([]);
  });

  it('times out Cassandra requests of the HTTP functions well before the functions themselves', () => {
    const { template } = stack();
    for (const fn of QUERY_FUNCTIONS) {
      const timeoutMs = (props(template, lambdaId(fn)).Timeout as number) * 1000;
      const requestMs = Number(env(template, fn).CASSANDRA_REQUEST_TIMEOUT_MS);
      expect([timeoutMs, requestMs]).toEqual([10_000, 3000]);
      // A read that times out is retried on the next replica: three attempts still end in time.
      expect(3 * requestMs).toBeLessThan(timeoutMs);
    }
    // The ingest keeps the driver default of lib/config.ts under its 900 s timeout.
    expect(env(template, 'ingest').CASSANDRA_REQUEST_TIMEOUT_MS).toBeUndefined();
  });

  it('uses a keyspace named after the stage', () => {
    for (const fn of FUNCTIONS) expect(env(stack().template, fn).CASSANDRA_KEYSPACE).toBe('tracklog_prod');
  });

  it('allows any origin by default', () => {
    expect(props(stack().template, 'HttpApi').CorsConfiguration).toMatchObject({
      AllowOrigins: ['*'],
      AllowMethods: ['GET'],
    });
  });

  it('bundles each function on its own, small', () => {
    for (const fn of FUNCTIONS) {
      expect(statSync(join(stack().dir, `${fn}.zip`)).size).toBeLessThan(512 * 1024);
    }
  });
});

describe('serverless package (self-hosted Cassandra in a VPC, two CORS origins, a named keyspace)', () => {
  const stack = packaged([
    '--param=cassandraContactPoints=10.0.1.10:9042',
    '--stage',
    'prod',
    '--param=subnetIds=subnet-a,subnet-b',
    '--param=securityGroupIds=sg-1',
    '--param=corsOrigins=https://app.example,https://admin.example:8443',
    '--param=keyspace=tracklog_shared',
  ]);
  const inVpc = FUNCTIONS.filter((fn) => fn !== 'notFound');

  it('runs the functions that reach Cassandra in the given subnets, and notFound outside', () => {
    const { template } = stack();
    for (const fn of inVpc) {
      expect(props(template, lambdaId(fn)).VpcConfig).toEqual({
        SubnetIds: ['subnet-a', 'subnet-b'],
        SecurityGroupIds: ['sg-1'],
      });
    }
    expect(props(template, 'NotFoundLambdaFunction').VpcConfig).toBeUndefined();
  });

  it('lets those functions manage their network interfaces, with * only where EC2 allows nothing else', () => {
    const { template } = stack();
    for (const fn of inVpc) {
      expect(actions(roleStatements(template, fn), 'ec2:')).toEqual([
        { Effect: 'Allow', Action: VPC_DESCRIBE_ACTIONS, Resource: ['*'] },
        {
          Effect: 'Allow',
          Action: VPC_ENI_ACTIONS,
          // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders
          Resource: [{ 'Fn::Sub': 'arn:aws:ec2:${AWS::Region}:${AWS::AccountId}:*/*' }],
        },
      ]);
    }
    // AWS allows only the Describe actions on nothing narrower than *.
    const starActions = starStatements(template).flatMap(({ statement }) => statement.Action as string[]);
    expect(starActions.length).toBeGreaterThan(0);
    expect(starActions.filter((a) => !a.startsWith('ec2:Describe'))).toEqual([]);
    // The documented Describe statements are the template's only * resources; no managed policy
    // (AWSLambdaVPCAccessExecutionRole would grant logs and ENIs on *).
    expect(starStatements(template).map(({ statement }) => statement)).toEqual(
      inVpc.map(() => ({ Effect: 'Allow', Action: VPC_DESCRIBE_ACTIONS, Resource: ['*'] })),
    );
    expect(keyPaths(template.Resources, 'ManagedPolicyArns')).toEqual([]);
  });

  it('still gives notFound nothing but its own logs', () => {
    expect(roleStatements(stack().template, 'notFound')).toEqual([logs('notFound')]);
  });

  it('allows exactly the two CORS origins given', () => {
    const { template } = stack();
    expect((props(template, 'HttpApi').CorsConfiguration as { AllowOrigins: string[] }).AllowOrigins).toEqual(
      ['https://app.example', 'https://admin.example:8443'],
    );
    expect(env(template, 'getListeners').CORS_ORIGINS).toBe('https://app.example,https://admin.example:8443');
  });

  it('uses the keyspace given instead of the stage name', () => {
    expect(env(stack().template, 'ingest').CASSANDRA_KEYSPACE).toBe('tracklog_shared');
  });
});

describe('serverless package (Amazon Keyspaces, stage pr-7)', () => {
  const stack = packaged(['--stage', 'pr-7', '--param=database=keyspaces']);
  const keyspace = 'tracklog_pr_7';
  const tableArn = (table: string) => ({
    'Fn::Sub': `arn:aws:cassandra:\${AWS::Region}:\${AWS::AccountId}:/keyspace/${keyspace}/table/${table}`,
  });
  // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders
  const systemArn = { 'Fn::Sub': 'arn:aws:cassandra:${AWS::Region}:${AWS::AccountId}:/keyspace/system*' };

  it('creates the stage keyspace and one table per model table, with the model keys and columns', () => {
    const { template } = stack();
    const keyspaces = ofType(template, 'AWS::Cassandra::Keyspace');
    expect(keyspaces.map(([, k]) => k.Properties.KeyspaceName)).toEqual([keyspace]);
    const tables = ofType(template, 'AWS::Cassandra::Table').map(([, t]) => t.Properties);
    expect(tables.map((t) => [t.KeyspaceName, t.TableName])).toEqual(
      allTables.map((t) => [keyspace, t.name]),
    );
    for (const model of allTables) {
      const t = tables.find((x) => x.TableName === model.name) as {
        PartitionKeyColumns: { ColumnName: string }[];
        ClusteringKeyColumns: { Column: { ColumnName: string }; OrderBy: string }[];
        RegularColumns: { ColumnName: string; ColumnType: string }[];
      };
      expect(t.PartitionKeyColumns.map((c) => c.ColumnName)).toEqual(model.partitionKey);
      expect(t.ClusteringKeyColumns.map((c) => [c.Column.ColumnName, c.OrderBy])).toEqual(
        model.clustering.map((c) => [c.column, c.order]),
      );
      const all = [
        ...t.PartitionKeyColumns,
        ...t.ClusteringKeyColumns.map((c) => c.Column),
        ...t.RegularColumns,
      ];
      expect(all.map((c) => c.ColumnName).sort()).toEqual(model.columns.map((c) => c.name).sort());
    }
    const q2 = tables.find((t) => t.TableName === 'songs_by_user_session') as {
      RegularColumns: { ColumnName: string; ColumnType: string }[];
    };
    expect(
      q2.RegularColumns.filter((c) => c.ColumnType.endsWith(' STATIC')).map((c) => c.ColumnName),
    ).toEqual(['first_name', 'last_name']);
  });

  it('keeps a replaced keyspace and its tables rather than deleting their data', () => {
    const { template } = stack();
    const data = [
      ...ofType(template, 'AWS::Cassandra::Keyspace'),
      ...ofType(template, 'AWS::Cassandra::Table'),
    ];
    expect(data.map(([, r]) => r.UpdateReplacePolicy)).toEqual(data.map(() => 'Retain'));
  });

  it('connects with TLS and SigV4; the query functions fetch only the cursor secret, the ingest nothing', () => {
    const { template } = stack();
    expect(env(template, 'ingest')).toMatchObject({
      CASSANDRA_CONTACT_POINTS: 'cassandra.us-east-1.amazonaws.com:9142',
      CASSANDRA_LOCAL_DC: 'us-east-1',
      CASSANDRA_KEYSPACE: keyspace,
      CASSANDRA_AUTH: 'sigv4',
      CASSANDRA_TLS: 'true',
    });
    for (const fn of QUERY_FUNCTIONS) {
      expect(fetchedParameters(template, fn)).toEqual(['/tracklog/pr-7/cursor-secret']);
      expect(actions(roleStatements(template, fn), 'ssm:').flatMap((s) => s.Resource)).toEqual([
        ssmArn('/tracklog/pr-7/cursor-secret'),
      ]);
    }
    expect(fetchedParameters(template, 'ingest')).toEqual([]);
    expect(actions(roleStatements(template, 'ingest'), 'ssm:')).toEqual([]);
  });

  it('lets the ingest write every table of the stage keyspace and read only the ledger', () => {
    expect(actions(roleStatements(stack().template, 'ingest'), 'cassandra:')).toEqual([
      { Effect: 'Allow', Action: ['cassandra:Modify'], Resource: allTables.map((t) => tableArn(t.name)) },
      { Effect: 'Allow', Action: ['cassandra:Select'], Resource: [tableArn(ingestLedger.name), systemArn] },
    ]);
  });

  it('lets each query function read only the table it answers from', () => {
    for (const fn of QUERY_FUNCTIONS) {
      expect(actions(roleStatements(stack().template, fn), 'cassandra:')).toEqual([
        {
          Effect: 'Allow',
          Action: ['cassandra:Select'],
          Resource: [tableArn(QUERY_TABLE[fn]), systemArn],
        },
      ]);
    }
    expect(roleStatements(stack().template, 'notFound')).toEqual([logs('notFound')]);
  });

  it('has no * resource and no managed policy anywhere', () => {
    const { template } = stack();
    expect(starStatements(template)).toEqual([]);
    expect(keyPaths(template.Resources, 'ManagedPolicyArns')).toEqual([]);
  });
});
