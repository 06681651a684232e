// Issue 21 "Safe to expose", in the packaged CloudFormation of both variants (self-hosted Cassandra,
// Amazon Keyspaces): the buckets that hold people's data refuse plain HTTP, block public access,
// stay when the stack goes, and rejects and reports expire; the queues are encrypted; the HTTP API
// is throttled and every function's concurrency reserved, within what an account may reserve.
import { ACCOUNT_CONCURRENCY, UNRESERVED_MINIMUM } from '../../lib/infra/limits';
import { FUNCTIONS } from '../../lib/infra/names';
import { allStatements, lambdaId, ofType, packaged, props, QUERY_FUNCTIONS } from './support/package';

const VARIANTS = [
  ['self-hosted Cassandra', ['--param=cassandraContactPoints=10.0.1.10:9042']],
  ['Amazon Keyspaces', ['--param=database=keyspaces']],
] as const;

const DATA_BUCKETS = {
  RawEventsBucket: 'tracklog-prod-raw-events',
  IngestOutputsBucket: 'tracklog-prod-ingest-outputs',
} as const;

describe.each(VARIANTS)('serverless package, stage prod (%s)', (_name, args) => {
  const stack = packaged([
    '--stage',
    'prod',
    '--param=outputsRetentionDays=45',
    '--param=apiThrottleRateLimit=7',
    '--param=apiThrottleBurstLimit=11',
    '--param=ingestConcurrency=3',
    '--param=apiConcurrency=9',
    ...args,
  ]);

  it.each(Object.entries(DATA_BUCKETS))(
    'denies %s any request over plain HTTP, to the bucket and its objects',
    (id, bucket) => {
      const { template } = stack();
      const policies = ofType(template, 'AWS::S3::BucketPolicy').filter(
        ([, p]) => JSON.stringify(p.Properties.Bucket) === JSON.stringify({ Ref: id }),
      );
      expect(policies).toHaveLength(1);
      const statements = allStatements(policies[0]?.[1].Properties).map((s) => s.statement);
      expect(statements).toContainEqual({
        Sid: 'DenyPlainHttp',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      });
    },
  );

  it.each(Object.keys(DATA_BUCKETS))(
    'blocks public access to %s, encrypts it, and keeps it when the stack goes',
    (id) => {
      const { template } = stack();
      expect(props(template, id)).toMatchObject({
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
      });
      expect([template.Resources[id]?.DeletionPolicy, template.Resources[id]?.UpdateReplacePolicy]).toEqual([
        'Retain',
        'Retain',
      ]);
    },
  );

  it('blocks public access to the deployment bucket too', () => {
    expect(props(stack().template, 'ServerlessDeploymentBucket').PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
  });

  it('expires rejects and reports after the outputsRetentionDays param, and keeps raw events', () => {
    const { template } = stack();
    const rules = (props(template, 'IngestOutputsBucket').LifecycleConfiguration as { Rules: unknown[] })
      .Rules;
    expect(rules).toEqual(
      expect.arrayContaining([
        { Id: 'ExpireRejects', Status: 'Enabled', Prefix: 'rejected/', ExpirationInDays: 45 },
        { Id: 'ExpireReports', Status: 'Enabled', Prefix: 'reports/', ExpirationInDays: 45 },
      ]),
    );
    // The raw events are what every table is loaded from: nothing expires them.
    expect(props(template, 'RawEventsBucket').LifecycleConfiguration).toBeUndefined();
  });

  it('throttles the HTTP API stage at the apiThrottleRateLimit and apiThrottleBurstLimit params', () => {
    expect(props(stack().template, 'HttpApiStage').DefaultRouteSettings).toEqual({
      ThrottlingRateLimit: 7,
      ThrottlingBurstLimit: 11,
    });
  });

  it('reserves the ingestConcurrency param for the ingest, as many as the queue may run at once', () => {
    const { template } = stack();
    expect(props(template, lambdaId('ingest')).ReservedConcurrentExecutions).toBe(3);
    const mapping = ofType(template, 'AWS::Lambda::EventSourceMapping')[0]?.[1];
    expect(mapping?.Properties.ScalingConfig).toEqual({ MaximumConcurrency: 3 });
  });

  it('caps each HTTP function at the apiConcurrency param, and runs one sweep at a time', () => {
    const { template } = stack();
    for (const fn of [...QUERY_FUNCTIONS, 'notFound'] as const)
      expect(props(template, lambdaId(fn)).ReservedConcurrentExecutions).toBe(9);
    expect(props(template, lambdaId('sweep')).ReservedConcurrentExecutions).toBe(1);
  });

  it('encrypts every queue at rest with SQS-managed keys', () => {
    const queues = ofType(stack().template, 'AWS::SQS::Queue');
    expect(queues.map(([id]) => id).sort()).toEqual(['IngestDeadLetterQueue', 'IngestQueue']);
    for (const [, queue] of queues) expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
  });
});

describe('serverless package, stage prod, default limits', () => {
  const stack = packaged(['--stage', 'prod', '--param=database=keyspaces']);

  it('throttles the HTTP API stage at 50 requests a second, bursts of 100', () => {
    expect(props(stack().template, 'HttpApiStage').DefaultRouteSettings).toEqual({
      ThrottlingRateLimit: 50,
      ThrottlingBurstLimit: 100,
    });
  });

  it('reserves 4 ingests (as the queue may run), 1 sweep and 20 of each HTTP function: 105, within what a default account may reserve', () => {
    const { template } = stack();
    const reserved = FUNCTIONS.map((fn) => props(template, lambdaId(fn)).ReservedConcurrentExecutions);
    expect(Object.fromEntries(FUNCTIONS.map((fn, i) => [fn, reserved[i]]))).toEqual({
      ingest: 4,
      sweep: 1,
      getSessionItem: 20,
      getUserSessionSongs: 20,
      getListeners: 20,
      getIngests: 20,
      notFound: 20,
    });
    const total = reserved.reduce((sum: number, n) => sum + (n as number), 0);
    expect(total).toBe(105);
    expect(total).toBeLessThanOrEqual(ACCOUNT_CONCURRENCY - UNRESERVED_MINIMUM);
  });

  it('expires rejects and reports after 30 days unless the deploy says otherwise', () => {
    const rules = (
      props(stack().template, 'IngestOutputsBucket').LifecycleConfiguration as {
        Rules: { Id: string; ExpirationInDays?: number }[];
      }
    ).Rules;
    expect(rules.filter((r) => r.Id.startsWith('Expire')).map((r) => [r.Id, r.ExpirationInDays])).toEqual([
      ['ExpireRejects', 30],
      ['ExpireReports', 30],
      // A split gzip object's texts: deleted when it ends, kept for a redrive while the
      // dead-letter queue keeps its message.
      ['ExpireSplitTexts', 14],
    ]);
  });
});
