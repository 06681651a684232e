// `serverless package` (osls, no AWS account needed) for both database variants; the generated
// CloudFormation is read back and checked: trigger, routes, IAM, Keyspaces resources, bundles.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { allTables } from '../../lib/cassandra/model';
import { INGEST_SUFFIXES, INGEST_TIMEOUT_SECONDS } from '../../lib/infra/cloudformation';

const repo = resolve(__dirname, '..', '..');

interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
}

function packageStack(param: string | undefined): { template: Template; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sls-package-'));
  const workFolder = `.esbuild-package-${process.pid}-${param ?? 'default'}`.replace(/[^\w.-]/g, '_');
  try {
    const res = spawnSync(
      join(repo, 'node_modules', '.bin', 'serverless'),
      ['package', '--stage', 'prod', '--package', dir, ...(param ? [`--param=${param}`] : [])],
      {
        cwd: repo,
        encoding: 'utf8',
        env: { ...process.env, TRACKLOG_ESBUILD_DIR: workFolder, AWS_ENDPOINT_URL: '' },
      },
    );
    if (res.status !== 0) throw new Error(`serverless package failed:\n${res.stdout}\n${res.stderr}`);
  } finally {
    rmSync(join(repo, workFolder), { recursive: true, force: true });
  }
  return {
    template: JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')),
    dir,
  };
}

/** A resource's properties; a missing resource fails the test with its name. */
function props(t: Template, id: string): Record<string, unknown> {
  const resource = t.Resources[id];
  if (!resource) throw new Error(`the template has no ${id}`);
  return resource.Properties;
}

const ofType = (t: Template, type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type);

/** Every IAM Resource value in the role, flattened. */
function iamStatements(t: Template): { Action: string[]; Resource: unknown[] }[] {
  const role = props(t, 'IamRoleLambdaExecution') as unknown as {
    Policies: { PolicyDocument: { Statement: { Action: string[]; Resource: unknown }[] } }[];
  };
  return role.Policies.flatMap((p) => p.PolicyDocument.Statement).map((s) => ({
    Action: s.Action,
    Resource: Array.isArray(s.Resource) ? s.Resource : [s.Resource],
  }));
}

describe('serverless package (self-hosted Cassandra)', () => {
  const { template, dir } = packageStack(undefined);

  it('runs every function on Node.js 22 on arm64', () => {
    const fns = ofType(template, 'AWS::Lambda::Function');
    expect(fns.map(([id]) => id).sort()).toEqual([
      'GetListenersLambdaFunction',
      'GetSessionItemLambdaFunction',
      'GetUserSessionSongsLambdaFunction',
      'IngestLambdaFunction',
      'NotFoundLambdaFunction',
    ]);
    for (const [, fn] of fns)
      expect([fn.Properties.Runtime, fn.Properties.Architectures]).toEqual(['nodejs22.x', ['arm64']]);
  });

  it('triggers the ingest from the raw-events bucket through SQS, with a dead-letter queue', () => {
    const notifications = (
      props(template, 'RawEventsBucket').NotificationConfiguration as {
        QueueConfigurations: {
          Event: string;
          Queue: unknown;
          Filter: { S3Key: { Rules: { Name: string; Value: string }[] } };
        }[];
      }
    ).QueueConfigurations;
    expect(notifications.map((n) => n.Filter.S3Key.Rules[0]?.Value)).toEqual([...INGEST_SUFFIXES]);
    for (const n of notifications)
      expect([n.Event, n.Queue]).toEqual(['s3:ObjectCreated:*', { 'Fn::GetAtt': ['IngestQueue', 'Arn'] }]);
    expect(props(template, 'RawEventsBucket').BucketName).toBe('tracklog-prod-raw-events');

    const mapping = ofType(template, 'AWS::Lambda::EventSourceMapping')[0]?.[1].Properties;
    expect(mapping).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': ['IngestQueue', 'Arn'] },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 4 },
    });
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
    const routes = ofType(template, 'AWS::ApiGatewayV2::Route').map(([, route]) => route.Properties.RouteKey);
    expect(routes.sort()).toEqual([
      '$default',
      'GET /listeners',
      'GET /sessions/{sessionId}/items/{itemInSession}',
      'GET /users/{userId}/sessions/{sessionId}/songs',
    ]);
  });

  it('grants least privilege: read raw objects, write only rejects and reports, no * resources', () => {
    const statements = iamStatements(template);
    for (const s of statements) for (const res of s.Resource) expect(res).not.toBe('*');
    const s3 = statements.filter((s) => s.Action.some((a) => a.startsWith('s3:')));
    expect(s3).toEqual([
      { Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::tracklog-prod-raw-events/*'] },
      {
        Action: ['s3:PutObject', 's3:DeleteObject'],
        Resource: [
          'arn:aws:s3:::tracklog-prod-raw-events/rejected/*',
          'arn:aws:s3:::tracklog-prod-raw-events/reports/*',
        ],
      },
    ]);
    expect(statements.some((s) => s.Action.some((a) => a.startsWith('cassandra:')))).toBe(false);
  });

  it('names SSM parameters for secrets instead of holding them', () => {
    const env = (props(template, 'IngestLambdaFunction').Environment as { Variables: Record<string, string> })
      .Variables;
    expect(env.CASSANDRA_PASSWORD).toBeUndefined();
    expect(env.CASSANDRA_PASSWORD_SSM_PARAMETER).toBe('/tracklog/prod/cassandra-password');
    expect(env.CURSOR_SECRET_SSM_PARAMETER).toBe('/tracklog/prod/cursor-secret');
    expect(ofType(template, 'AWS::Cassandra::Table')).toEqual([]);
  });

  it('bundles each function on its own, small', () => {
    for (const fn of ['ingest', 'getSessionItem', 'getUserSessionSongs', 'getListeners', 'notFound']) {
      expect(statSync(join(dir, `${fn}.zip`)).size).toBeLessThan(512 * 1024);
    }
  });
});

describe('serverless package (Amazon Keyspaces)', () => {
  const { template } = packageStack('database=keyspaces');

  it('creates the keyspace and one table per model table, with the model keys and columns', () => {
    const tables = ofType(template, 'AWS::Cassandra::Table').map(([, t]) => t.Properties);
    expect(ofType(template, 'AWS::Cassandra::Keyspace')).toHaveLength(1);
    expect(tables.map((t) => t.TableName)).toEqual(allTables.map((t) => t.name));
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

  it('connects with TLS and SigV4, and may read and write only the tracklog keyspace', () => {
    const env = (props(template, 'IngestLambdaFunction').Environment as { Variables: Record<string, string> })
      .Variables;
    expect(env).toMatchObject({
      CASSANDRA_CONTACT_POINTS: 'cassandra.us-east-1.amazonaws.com:9142',
      CASSANDRA_LOCAL_DC: 'us-east-1',
      CASSANDRA_AUTH: 'sigv4',
      CASSANDRA_TLS: 'true',
    });
    const cassandra = iamStatements(template).find((s) => s.Action.includes('cassandra:Modify'));
    expect(cassandra?.Action).toEqual(['cassandra:Select', 'cassandra:Modify']);
    expect(JSON.stringify(cassandra?.Resource)).toContain(':/keyspace/tracklog/table/*');
  });
});
