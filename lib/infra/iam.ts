// One IAM role per function, holding only what that function's code calls: its own logs, the
// bucket prefixes and queue of the ingest, the SSM parameters it fetches at start, on Keyspaces
// the tables it reads or writes, and in a VPC its network interfaces.
import {
  allTables,
  ingestLedger,
  listenersBySong,
  openIngestsByDay,
  playsBySession,
  songsByUserSession,
  type TableDef,
} from '../cassandra/model';
import { SPLIT_TEXTS_PREFIX } from '../ingest/version-outputs';
import {
  FUNCTIONS,
  type FunctionName,
  logicalId,
  type Resource,
  type StackOptions,
  stackNames,
} from './names';

/** The one table each HTTP query reads (lib/queries/store.ts prepares one SELECT per query). */
const QUERY_TABLES: Record<Exclude<FunctionName, 'ingest' | 'sweep' | 'notFound'>, TableDef<never>> = {
  getSessionItem: playsBySession,
  getUserSessionSongs: songsByUserSession,
  getListeners: listenersBySong,
  // Ingest status: reads the ledger the ingest writes, never writes it.
  getIngests: ingestLedger,
};

/** notFound answers a JSON 404 without Cassandra, so it stays outside the VPC and needs no ENIs. */
const runsInVpc = (fn: FunctionName) => fn !== 'notFound';

/** The role serverless.yml gives a function (`role: <Function>Role`). */
const roleLogicalId = (fn: FunctionName) => `${logicalId(fn)}Role`;
/** The log group serverless creates for a function (its naming: `<Function>LogGroup`). */
const logGroupLogicalId = (fn: FunctionName) => `${logicalId(fn)}LogGroup`;

/**
 * ENI management for functions in a VPC (what AWSLambdaVPCAccessExecutionRole grants, without its
 * logs on every group). EC2's Describe actions do not support resource-level permissions: AWS only
 * allows them on `*`. The others are limited to the account and region's EC2 resources, the
 * narrowest form the Lambda guide gives for DeleteNetworkInterface (the ENI ids are not known
 * before Lambda creates them).
 */
const VPC_DESCRIBE_ACTIONS = ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'];
const VPC_ENI_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

interface Statement {
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
function functionStatements(fn: FunctionName, opts: StackOptions): Statement[] {
  const names = stackNames(opts.service, opts.stage);
  const bucket = `arn:aws:s3:::${names.bucket}`;
  const outputs = `arn:aws:s3:::${names.outputs}`;
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
      // The raw bucket is only read: everything the ingest writes goes to its outputs bucket.
      allow(['s3:GetObject'], [`${bucket}/*`]),
      // Rejects and reports under keys of their version (lib/ingest/version-outputs.ts); rejects
      // are streamed as multipart uploads, aborted when their part fails. The inflated text of a
      // split gzip object is written, read back by its splits and deleted once the version ends;
      // nothing else is deleted.
      allow(
        ['s3:PutObject'],
        [
          `${outputs}/${opts.rejectsPrefix}*`,
          `${outputs}/${opts.reportsPrefix}*`,
          `${outputs}/${SPLIT_TEXTS_PREFIX}*`,
        ],
      ),
      allow(
        ['s3:AbortMultipartUpload'],
        [`${outputs}/${opts.rejectsPrefix}*`, `${outputs}/${SPLIT_TEXTS_PREFIX}*`],
      ),
      allow(['s3:GetObject', 's3:DeleteObject'], [`${outputs}/${SPLIT_TEXTS_PREFIX}*`]),
      // Its event source (receive, delete); continuations of objects ingested in parts (send), and a
      // backoff for messages to retry (change visibility), lib/ingest/queue.ts.
      allow(
        [
          'sqs:ReceiveMessage',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:SendMessage',
          'sqs:ChangeMessageVisibility',
        ],
        [{ 'Fn::GetAtt': ['IngestQueue', 'Arn'] }],
      ),
      // An object that can never be ingested goes to the dead-letter queue at once.
      allow(['sqs:SendMessage'], [{ 'Fn::GetAtt': ['IngestDeadLetterQueue', 'Arn'] }]),
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
  } else if (fn === 'sweep') {
    statements.push(
      // Resumes a stalled version by sending it a continuation (lib/ingest/sweep.ts); one that got
      // nowhere however often it was resumed gets its report, and a message in the dead-letter queue.
      allow(['sqs:SendMessage'], [{ 'Fn::GetAtt': ['IngestQueue', 'Arn'] }]),
      allow(['sqs:SendMessage'], [{ 'Fn::GetAtt': ['IngestDeadLetterQueue', 'Arn'] }]),
      allow(['s3:PutObject'], [`${outputs}/${opts.reportsPrefix}*`]),
      ...ssm([opts.cassandraPasswordParameter]),
    );
    if (keyspaces) {
      statements.push(
        // Reads the index and the ledger; takes ended versions out of the index; notes a resume in
        // the ledger, or ends a version (compare-and-set on its revision, never under a lease).
        allow(
          ['cassandra:Modify'],
          [
            keyspacesTableArn(opts.keyspace, openIngestsByDay),
            keyspacesTableArn(opts.keyspace, ingestLedger),
          ],
        ),
        allow(
          ['cassandra:Select'],
          [
            keyspacesTableArn(opts.keyspace, openIngestsByDay),
            keyspacesTableArn(opts.keyspace, ingestLedger),
            keyspacesSystemArn,
          ],
        ),
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

/** `<Function>Role` for each function: assumable by Lambda only, with its functionStatements. */
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
