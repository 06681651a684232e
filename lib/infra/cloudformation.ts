// CloudFormation for what serverless.yml does not declare itself: the raw-events bucket and its
// notifications to the ingest queue (with a dead-letter queue), and, for the Amazon Keyspaces
// variant, the keyspace and tables, derived from the same data model as the CQL DDL.
import { allTables, type CqlType, type TableDef } from '../cassandra/model';

/** Object names the ingest is triggered for. */
export const INGEST_SUFFIXES = ['.csv', '.json', '.jsonl', '.csv.gz', '.json.gz', '.jsonl.gz'] as const;

export type Database = 'cassandra' | 'keyspaces';

export interface StackNames {
  bucket: string;
  queue: string;
  deadLetterQueue: string;
}

export function stackNames(service: string, stage: string): StackNames {
  return {
    bucket: `${service}-${stage}-raw-events`,
    queue: `${service}-${stage}-ingest`,
    deadLetterQueue: `${service}-${stage}-ingest-dlq`,
  };
}

/** The ingest Lambda's timeout; the queue hides a message six times as long while it is worked on. */
export const INGEST_TIMEOUT_SECONDS = 900;
export const MAX_RECEIVE_COUNT = 5;

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] };

const CFN_TYPE: Record<CqlType, string> = {
  int: 'int',
  bigint: 'bigint',
  text: 'text',
  double: 'double',
  timestamp: 'timestamp',
};

const logicalId = (name: string) =>
  name
    .split(/[^a-zA-Z0-9]/)
    .filter(Boolean)
    .map((p) => p[0]?.toUpperCase() + p.slice(1))
    .join('');

export function keyspacesTable(keyspace: string, table: TableDef<never>): Resource {
  const column = (name: string) => {
    const col = table.columns.find((c) => c.name === name);
    if (!col) throw new Error(`${table.name}: no column ${name}`);
    return { ColumnName: col.name, ColumnType: CFN_TYPE[col.type] };
  };
  const keys = new Set([...table.partitionKey, ...table.clustering.map((c) => c.column)]);
  return {
    Type: 'AWS::Cassandra::Table',
    DependsOn: ['TracklogKeyspace'],
    Properties: {
      KeyspaceName: keyspace,
      TableName: table.name,
      PartitionKeyColumns: table.partitionKey.map(column),
      ClusteringKeyColumns: table.clustering.map((c) => ({ Column: column(c.column), OrderBy: c.order })),
      RegularColumns: table.columns
        .filter((c) => !keys.has(c.name))
        .map((c) => ({ ColumnName: c.name, ColumnType: `${CFN_TYPE[c.type]}${c.static ? ' STATIC' : ''}` })),
      BillingMode: { Mode: 'ON_DEMAND' },
      PointInTimeRecoveryEnabled: true,
    },
  };
}

export function keyspacesResources(keyspace: string): Record<string, Resource> {
  const resources: Record<string, Resource> = {
    TracklogKeyspace: { Type: 'AWS::Cassandra::Keyspace', Properties: { KeyspaceName: keyspace } },
  };
  for (const table of allTables) resources[`${logicalId(table.name)}Table`] = keyspacesTable(keyspace, table);
  return resources;
}

export function eventResources(names: StackNames): Record<string, Resource> {
  const bucketArn = `arn:aws:s3:::${names.bucket}`;
  return {
    IngestDeadLetterQueue: {
      Type: 'AWS::SQS::Queue',
      Properties: { QueueName: names.deadLetterQueue, MessageRetentionPeriod: 1209600 },
    },
    IngestQueue: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: names.queue,
        VisibilityTimeout: INGEST_TIMEOUT_SECONDS * 6,
        MessageRetentionPeriod: 1209600,
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': ['IngestDeadLetterQueue', 'Arn'] },
          maxReceiveCount: MAX_RECEIVE_COUNT,
        },
      },
    },
    IngestQueuePolicy: {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: [{ Ref: 'IngestQueue' }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'RawEventsBucketNotifications',
              Effect: 'Allow',
              Principal: { Service: 's3.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: { 'Fn::GetAtt': ['IngestQueue', 'Arn'] },
              Condition: {
                ArnEquals: { 'aws:SourceArn': bucketArn },
                StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              },
            },
          ],
        },
      },
    },
    RawEventsBucket: {
      Type: 'AWS::S3::Bucket',
      DependsOn: ['IngestQueuePolicy'],
      Properties: {
        BucketName: names.bucket,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        NotificationConfiguration: {
          QueueConfigurations: INGEST_SUFFIXES.map((suffix) => ({
            Event: 's3:ObjectCreated:*',
            Queue: { 'Fn::GetAtt': ['IngestQueue', 'Arn'] },
            Filter: { S3Key: { Rules: [{ Name: 'suffix', Value: suffix }] } },
          })),
        },
      },
    },
  };
}

export interface StackOptions {
  service: string;
  stage: string;
  database: Database;
  keyspace: string;
}

export function stackResources(opts: StackOptions) {
  const names = stackNames(opts.service, opts.stage);
  return {
    Resources: {
      ...eventResources(names),
      ...(opts.database === 'keyspaces' ? keyspacesResources(opts.keyspace) : {}),
    },
    Outputs: {
      RawEventsBucketName: { Value: { Ref: 'RawEventsBucket' } },
      IngestQueueUrl: { Value: { Ref: 'IngestQueue' } },
      IngestDeadLetterQueueUrl: { Value: { Ref: 'IngestDeadLetterQueue' } },
    },
  };
}

/** Least privilege for the functions' shared role: no `*` resources. */
export function iamStatements(opts: StackOptions & { rejectsPrefix: string; reportsPrefix: string }) {
  const bucket = stackNames(opts.service, opts.stage).bucket;
  const statements: Record<string, unknown>[] = [
    { Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`arn:aws:s3:::${bucket}/*`] },
    {
      Effect: 'Allow',
      Action: ['s3:PutObject', 's3:DeleteObject'],
      Resource: [
        `arn:aws:s3:::${bucket}/${opts.rejectsPrefix}*`,
        `arn:aws:s3:::${bucket}/${opts.reportsPrefix}*`,
      ],
    },
    {
      Effect: 'Allow',
      Action: ['ssm:GetParameter'],
      Resource: [
        {
          'Fn::Sub': `arn:aws:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/${opts.service}/${opts.stage}/*`,
        },
      ],
    },
  ];
  if (opts.database === 'keyspaces') {
    statements.push({
      Effect: 'Allow',
      Action: ['cassandra:Select', 'cassandra:Modify'],
      Resource: [
        {
          'Fn::Sub': `arn:aws:cassandra:\${AWS::Region}:\${AWS::AccountId}:/keyspace/${opts.keyspace}/table/*`,
        },
        // The driver reads the schema tables when it connects.
        // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders
        { 'Fn::Sub': 'arn:aws:cassandra:${AWS::Region}:${AWS::AccountId}:/keyspace/system*' },
      ],
    });
  }
  return statements;
}
