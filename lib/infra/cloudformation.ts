// CloudFormation for what serverless.yml does not declare itself: the raw-events bucket and its
// notifications to the ingest queue (with a dead-letter queue), one IAM role per function holding
// only what that function's code calls, and, for the Amazon Keyspaces variant, the keyspace and
// tables, derived from the same data model as the CQL DDL.
import {
  allTables,
  type CqlType,
  ingestLedger,
  listenersBySong,
  playsBySession,
  songsByUserSession,
  type TableDef,
} from '../cassandra/model';
// The same rule lib/config.ts applies to CASSANDRA_KEYSPACE at start.
import { KEYSPACE_NAME } from '../config';
import { parseCorsOrigins } from '../cors';
import { BUCKET_TRIGGER_SUFFIXES } from '../events/formats';

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

type Resource = {
  Type: string;
  Properties: Record<string, unknown>;
  DependsOn?: string[];
  UpdateReplacePolicy?: 'Retain';
};

/**
 * The default keyspace of a deployed stage, `<service>_<stage>` (`tracklog_prod`), so that two
 * stages in one account never share or replace each other's keyspace. Stage names may hold `-`,
 * which keyspace names may not: every character outside [a-z0-9_] becomes `_`.
 */
export function stageKeyspace(service: string, stage: string): string {
  const name = `${service}_${stage}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return validKeyspace(name, `the keyspace derived from service ${service} and stage ${stage}`);
}

export function validKeyspace(name: string, what = 'param keyspace'): string {
  if (!KEYSPACE_NAME.test(name)) {
    throw new Error(
      `${what} is "${name}": a keyspace name is a lowercase letter followed by up to 47 lowercase letters, digits or _ (set --param="keyspace=...")`,
    );
  }
  return name;
}

/** The HTTP API's allowed origins from the comma-separated corsOrigins param (lib/cors.ts's rule). */
export function corsOrigins(raw: string): string[] {
  try {
    return parseCorsOrigins(raw);
  } catch (err: unknown) {
    throw new Error(`param corsOrigins ${(err as Error).message}`);
  }
}

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
    UpdateReplacePolicy: 'Retain',
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
    // A renamed keyspace (the stage-derived default replaced an explicit name, say) makes
    // CloudFormation replace it: keep the old one and its data instead of deleting them.
    TracklogKeyspace: {
      Type: 'AWS::Cassandra::Keyspace',
      Properties: { KeyspaceName: keyspace },
      UpdateReplacePolicy: 'Retain',
    },
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
          QueueConfigurations: BUCKET_TRIGGER_SUFFIXES.map((suffix) => ({
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
  rejectsPrefix: string;
  reportsPrefix: string;
  /** SSM parameters the functions fetch at start (the password only for password auth); '' if none. */
  cassandraPasswordParameter: string;
  cursorSecretParameter: string;
  /** The functions that reach Cassandra run in the VPC (subnetIds and securityGroupIds given). */
  vpc: boolean;
}

export function stackResources(opts: StackOptions) {
  const names = stackNames(opts.service, opts.stage);
  return {
    Resources: {
      ...eventResources(names),
      ...functionRoles(opts),
      ...(opts.database === 'keyspaces' ? keyspacesResources(opts.keyspace) : {}),
    },
    Outputs: {
      RawEventsBucketName: { Value: { Ref: 'RawEventsBucket' } },
      IngestQueueUrl: { Value: { Ref: 'IngestQueue' } },
      IngestDeadLetterQueueUrl: { Value: { Ref: 'IngestDeadLetterQueue' } },
    },
  };
}

// --- IAM: one role per function ----------------------------------------------------------------

/** The functions serverless.yml declares; each names its role, `<Function>Role`, as `role:`. */
export const FUNCTIONS = [
  'ingest',
  'getSessionItem',
  'getUserSessionSongs',
  'getListeners',
  'notFound',
] as const;
export type FunctionName = (typeof FUNCTIONS)[number];

/** The one table each HTTP query reads (lib/queries/store.ts prepares one SELECT per query). */
export const QUERY_TABLES: Record<Exclude<FunctionName, 'ingest' | 'notFound'>, TableDef<never>> = {
  getSessionItem: playsBySession,
  getUserSessionSongs: songsByUserSession,
  getListeners: listenersBySong,
};

/** notFound answers a JSON 404 without Cassandra, so it stays outside the VPC and needs no ENIs. */
export const runsInVpc = (fn: FunctionName) => fn !== 'notFound';

export const roleLogicalId = (fn: FunctionName) => `${logicalId(fn)}Role`;
/** The log group serverless creates for a function (its naming: `<Function>LogGroup`). */
export const logGroupLogicalId = (fn: FunctionName) => `${logicalId(fn)}LogGroup`;

/**
 * ENI management for functions in a VPC (what AWSLambdaVPCAccessExecutionRole grants, without its
 * logs on every group). EC2's Describe actions do not support resource-level permissions: AWS only
 * allows them on `*`. The others are limited to the account and region's EC2 resources, the
 * narrowest form the Lambda guide gives for DeleteNetworkInterface (the ENI ids are not known
 * before Lambda creates them).
 */
export const VPC_DESCRIBE_ACTIONS = ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'];
export const VPC_ENI_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

export interface Statement {
  Effect: 'Allow';
  Action: string[];
  Resource: unknown[];
}

const allow = (Action: string[], Resource: unknown[]): Statement => ({ Effect: 'Allow', Action, Resource });
// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders
const ACCOUNT = '${AWS::Region}:${AWS::AccountId}';

/** arn:...:parameter/a/b for the parameter named /a/b (or a/b). */
const ssmParameterArn = (name: string) => ({
  'Fn::Sub': `arn:aws:ssm:${ACCOUNT}:parameter/${name.replace(/^\//, '')}`,
});

const keyspacesTableArn = (keyspace: string, table: TableDef<never>) => ({
  'Fn::Sub': `arn:aws:cassandra:${ACCOUNT}:/keyspace/${keyspace}/table/${table.name}`,
});
// The driver reads the system keyspaces (peers, schema) when it connects.
const keyspacesSystemArn = { 'Fn::Sub': `arn:aws:cassandra:${ACCOUNT}:/keyspace/system*` };

/** What one function's code calls, and nothing else: no `*` resource except VPC_DESCRIBE_ACTIONS. */
export function functionStatements(fn: FunctionName, opts: StackOptions): Statement[] {
  const bucket = `arn:aws:s3:::${stackNames(opts.service, opts.stage).bucket}`;
  const keyspaces = opts.database === 'keyspaces';
  const ssm = (names: string[]) => {
    const set = names.filter((n) => n.length > 0);
    return set.length > 0 ? [allow(['ssm:GetParameter'], set.map(ssmParameterArn))] : [];
  };
  // Lambda writes the function's logs with its role; the log group itself is in the stack.
  const statements = [
    allow(['logs:CreateLogStream', 'logs:PutLogEvents'], [{ 'Fn::GetAtt': [logGroupLogicalId(fn), 'Arn'] }]),
  ];
  if (fn === 'ingest') {
    statements.push(
      allow(['s3:GetObject'], [`${bucket}/*`]),
      // Rejects and reports (lib/ingest/service.ts); a stale rejects object is deleted when an
      // object version has none (lib/ingest/rejects.ts). Reports are only ever overwritten.
      allow(['s3:PutObject'], [`${bucket}/${opts.rejectsPrefix}*`, `${bucket}/${opts.reportsPrefix}*`]),
      allow(['s3:DeleteObject'], [`${bucket}/${opts.rejectsPrefix}*`]),
      allow(
        ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
        [{ 'Fn::GetAtt': ['IngestQueue', 'Arn'] }],
      ),
      // Only the Cassandra password: the ingest signs no cursors, so it gets no cursor secret.
      ...ssm([opts.cassandraPasswordParameter]),
    );
    if (keyspaces) {
      statements.push(
        allow(
          ['cassandra:Modify'],
          allTables.map((t) => keyspacesTableArn(opts.keyspace, t)),
        ),
        // The ledger is read before each object (is this version done?); plays are only written.
        allow(['cassandra:Select'], [keyspacesTableArn(opts.keyspace, ingestLedger), keyspacesSystemArn]),
      );
    }
  } else if (fn !== 'notFound') {
    statements.push(...ssm([opts.cursorSecretParameter, opts.cassandraPasswordParameter]));
    if (keyspaces) {
      statements.push(
        allow(['cassandra:Select'], [keyspacesTableArn(opts.keyspace, QUERY_TABLES[fn]), keyspacesSystemArn]),
      );
    }
  }
  if (opts.vpc && runsInVpc(fn)) {
    statements.push(
      allow(VPC_DESCRIBE_ACTIONS, ['*']),
      allow(VPC_ENI_ACTIONS, [{ 'Fn::Sub': `arn:aws:ec2:${ACCOUNT}:*/*` }]),
    );
  }
  return statements;
}

export function functionRoles(opts: StackOptions): Record<string, Resource> {
  const roles: Record<string, Resource> = {};
  for (const fn of FUNCTIONS) {
    roles[roleLogicalId(fn)] = {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com'] }, Action: ['sts:AssumeRole'] },
          ],
        },
        Policies: [
          {
            PolicyName: `${opts.service}-${opts.stage}-${fn}`,
            PolicyDocument: { Version: '2012-10-17', Statement: functionStatements(fn, opts) },
          },
        ],
      },
    };
  }
  return roles;
}
