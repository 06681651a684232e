// `serverless package` of the default variant, a self-hosted Cassandra (stage prod): the refusal
// without contact points, the runtime, the S3 → SQS → ingest trigger, the routes, one role per
// function and what each may do, secrets as SSM parameter names, timeouts, keyspace, CORS, bundles.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { BUCKET_TRIGGER_SUFFIXES } from '../../lib/events/formats';
import { INGEST_TIMEOUT_SECONDS } from '../../lib/infra/events';
import { FUNCTIONS } from '../../lib/infra/names';
import { expectOperatorAlarms } from './support/alarms';
import {
  actions,
  allStatements,
  env,
  fetchedParameters,
  keyPaths,
  lambdaId,
  logs,
  ofType,
  PACKAGE_TIMEOUT_MS,
  packaged,
  packageStack,
  props,
  QUERY_FUNCTIONS,
  roleId,
  roleStatements,
  ssmArn,
  starStatements,
} from './support/package';

describe('serverless package (self-hosted Cassandra)', () => {
  const stack = packaged(['--stage', 'prod', '--param=cassandraContactPoints=10.0.1.10:9042,10.0.2.10:9042']);

  it('carries the operator alarms (to the stage topic) and the HTTP API access log', () => {
    expectOperatorAlarms(stack().template, 'prod', {});
  });

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

  it('routes the three queries and the ingest status, other methods on their paths (JSON 405) and everything else (JSON 404) through the HTTP API', () => {
    const routes = ofType(stack().template, 'AWS::ApiGatewayV2::Route').map(
      ([, route]) => route.Properties.RouteKey,
    );
    expect(routes.sort()).toEqual([
      '$default',
      'ANY /ingests',
      'ANY /listeners',
      'ANY /sessions/{sessionId}/items/{itemInSession}',
      'ANY /users/{userId}/sessions/{sessionId}/songs',
      'GET /ingests',
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

  it("writes the ingest's reports and rejects to their own bucket, which notifies nothing", () => {
    const { template } = stack();
    expect(props(template, 'IngestOutputsBucket')).toMatchObject({
      BucketName: 'tracklog-prod-ingest-outputs',
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, RestrictPublicBuckets: true },
    });
    expect(props(template, 'IngestOutputsBucket').NotificationConfiguration).toBeUndefined();
    // A rejects upload whose part died before it could abort it does not stay for ever.
    expect(props(template, 'IngestOutputsBucket').LifecycleConfiguration).toMatchObject({
      Rules: expect.arrayContaining([
        {
          Id: 'AbortIncompleteRejectsUploads',
          Status: 'Enabled',
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        },
      ]),
    });
    // The ingest keeps nothing on disk: /tmp stays at Lambda's minimum.
    expect(props(template, 'IngestLambdaFunction').EphemeralStorage).toEqual({ Size: 512 });
    expect(props(template, 'IngestLambdaFunction').Environment).toMatchObject({
      Variables: { INGEST_OUTPUT_BUCKET: 'tracklog-prod-ingest-outputs' },
    });
  });

  it('lets the ingest only read raw objects, write only under rejects, reports and split texts of its outputs, and use its queue', () => {
    const ingest = roleStatements(stack().template, 'ingest');
    expect(actions(ingest, 's3:')).toEqual([
      { Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::tracklog-prod-raw-events/*'] },
      {
        Effect: 'Allow',
        Action: ['s3:PutObject'],
        Resource: [
          'arn:aws:s3:::tracklog-prod-ingest-outputs/rejected/*',
          'arn:aws:s3:::tracklog-prod-ingest-outputs/reports/*',
          'arn:aws:s3:::tracklog-prod-ingest-outputs/splits/*',
        ],
      },
      // Rejects and split texts are streamed as multipart uploads, aborted when they fail.
      {
        Effect: 'Allow',
        Action: ['s3:AbortMultipartUpload'],
        Resource: [
          'arn:aws:s3:::tracklog-prod-ingest-outputs/rejected/*',
          'arn:aws:s3:::tracklog-prod-ingest-outputs/splits/*',
        ],
      },
      // A split gzip object's texts are read back by its splits and deleted when it ends; only they.
      {
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:DeleteObject'],
        Resource: ['arn:aws:s3:::tracklog-prod-ingest-outputs/splits/*'],
      },
    ]);
    expect(actions(ingest, 'sqs:')).toEqual([
      {
        Effect: 'Allow',
        Action: [
          'sqs:ReceiveMessage',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:SendMessage',
          'sqs:ChangeMessageVisibility',
        ],
        Resource: [{ 'Fn::GetAtt': ['IngestQueue', 'Arn'] }],
      },
      // A message whose object can never be ingested goes to the dead-letter queue at once.
      {
        Effect: 'Allow',
        Action: ['sqs:SendMessage'],
        Resource: [{ 'Fn::GetAtt': ['IngestDeadLetterQueue', 'Arn'] }],
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

  it('gives the ingest status (getIngests) no S3, no queue and no way to change anything', () => {
    const statements = roleStatements(stack().template, 'getIngests');
    expect(actions(statements, 's3:')).toEqual([]);
    expect(actions(statements, 'sqs:')).toEqual([]);
    expect(actions(statements, 'cassandra:')).toEqual([]);
    expect(statements.flatMap((s) => s.Action).sort()).toEqual(
      ['logs:CreateLogStream', 'logs:PutLogEvents', 'ssm:GetParameter'].sort(),
    );
    expect(props(stack().template, lambdaId('getIngests')).Handler).toBe('functions/getIngests.handler');
  });

  it('runs the sweep every 15 minutes, with the queues to resume or end versions through and reports to write', () => {
    const { template } = stack();
    const rules = ofType(template, 'AWS::Events::Rule').filter(([, r]) =>
      JSON.stringify(r.Properties).includes(lambdaId('sweep')),
    );
    expect(rules.map(([, r]) => r.Properties.ScheduleExpression)).toEqual(['rate(15 minutes)']);
    expect(props(template, lambdaId('sweep')).Handler).toBe('functions/sweep.handler');
    expect(env(template, 'sweep')).toMatchObject({ INGEST_QUEUE_URL: { Ref: 'IngestQueue' } });
    const statements = roleStatements(template, 'sweep');
    expect(actions(statements, 'sqs:')).toEqual([
      { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [{ 'Fn::GetAtt': ['IngestQueue', 'Arn'] }] },
      {
        Effect: 'Allow',
        Action: ['sqs:SendMessage'],
        Resource: [{ 'Fn::GetAtt': ['IngestDeadLetterQueue', 'Arn'] }],
      },
    ]);
    // The report of a version it ends, and nothing else.
    expect(actions(statements, 's3:')).toEqual([
      {
        Effect: 'Allow',
        Action: ['s3:PutObject'],
        Resource: ['arn:aws:s3:::tracklog-prod-ingest-outputs/reports/*'],
      },
    ]);
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

  it('allows no other origin by default: no CORS configuration, and none in the functions', () => {
    const { template } = stack();
    expect(props(template, 'HttpApi').CorsConfiguration).toBeUndefined();
    expect(keyPaths(template.Resources, 'CorsConfiguration')).toEqual([]);
    for (const fn of FUNCTIONS) expect(env(template, fn).CORS_ORIGINS ?? '').toBe('');
  });

  it('bundles each function on its own, small', () => {
    for (const fn of FUNCTIONS) {
      expect(statSync(join(stack().dir, `${fn}.zip`)).size).toBeLessThan(512 * 1024);
    }
  });
});
