// Issue 21 "Safe to expose", in the packaged CloudFormation of both variants (self-hosted Cassandra,
// Amazon Keyspaces): the buckets that hold people's data refuse plain HTTP, block public access,
// stay when the stack goes, and rejects and reports expire; the queues are encrypted.
import { allStatements, ofType, packaged, props } from './support/package';

const VARIANTS = [
  ['self-hosted Cassandra', ['--param=cassandraContactPoints=10.0.1.10:9042']],
  ['Amazon Keyspaces', ['--param=database=keyspaces']],
] as const;

const DATA_BUCKETS = {
  RawEventsBucket: 'tracklog-prod-raw-events',
  IngestOutputsBucket: 'tracklog-prod-ingest-outputs',
} as const;

describe.each(VARIANTS)('serverless package, stage prod (%s)', (_name, args) => {
  const stack = packaged(['--stage', 'prod', '--param=outputsRetentionDays=45', ...args]);

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

  it('encrypts every queue at rest with SQS-managed keys', () => {
    const queues = ofType(stack().template, 'AWS::SQS::Queue');
    expect(queues.map(([id]) => id).sort()).toEqual(['IngestDeadLetterQueue', 'IngestQueue']);
    for (const [, queue] of queues) expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
  });
});

describe('serverless package, stage prod, default retention', () => {
  const stack = packaged(['--stage', 'prod', '--param=database=keyspaces']);

  it('expires rejects and reports after 30 days unless the deploy says otherwise', () => {
    const rules = (
      props(stack().template, 'IngestOutputsBucket').LifecycleConfiguration as {
        Rules: { Id: string; ExpirationInDays?: number }[];
      }
    ).Rules;
    expect(rules.filter((r) => r.Id.startsWith('Expire')).map((r) => [r.Id, r.ExpirationInDays])).toEqual([
      ['ExpireRejects', 30],
      ['ExpireReports', 30],
    ]);
  });
});
