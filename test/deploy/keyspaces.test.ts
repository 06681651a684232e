// `serverless package` of the Amazon Keyspaces variant (stage pr-7): the keyspace and tables from the
// data model, kept on replacement; TLS and SigV4; each role's table actions.
import {
  allTables,
  ingestLedger,
  listenersBySong,
  openIngestsByDay,
  playsBySession,
  songsByUserSession,
} from '../../lib/cassandra/model';
import { expectOperatorAlarms } from './support/alarms';
import {
  actions,
  env,
  fetchedParameters,
  keyPaths,
  logs,
  ofType,
  packaged,
  QUERY_FUNCTIONS,
  roleStatements,
  ssmArn,
  starStatements,
} from './support/package';

/** The one table each query reads (lib/queries/store.ts). */
const QUERY_TABLE = {
  getSessionItem: playsBySession.name,
  getUserSessionSongs: songsByUserSession.name,
  getListeners: listenersBySong.name,
  getIngests: ingestLedger.name,
} as const;

describe('serverless package (Amazon Keyspaces, stage pr-7)', () => {
  const stack = packaged(['--stage', 'pr-7', '--param=database=keyspaces']);
  const keyspace = 'tracklog_pr_7';

  it('carries the operator alarms, Keyspaces throttling included, and the HTTP API access log', () => {
    expectOperatorAlarms(stack().template, 'pr-7', { keyspace });
  });
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

  it('keeps the keyspace and its tables, replaced or removed, rather than deleting their data', () => {
    const { template } = stack();
    const data = [
      ...ofType(template, 'AWS::Cassandra::Keyspace'),
      ...ofType(template, 'AWS::Cassandra::Table'),
    ];
    expect(data).toHaveLength(allTables.length + 1);
    // Removed: a deploy of the stage that forgets --param="database=keyspaces" drops them from the template.
    expect(data.map(([, r]) => [r.UpdateReplacePolicy, r.DeletionPolicy])).toEqual(
      data.map(() => ['Retain', 'Retain']),
    );
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

  it('lets the sweep read and change the ledger and its index, and nothing else', () => {
    expect(actions(roleStatements(stack().template, 'sweep'), 'cassandra:')).toEqual([
      {
        Effect: 'Allow',
        Action: ['cassandra:Modify'],
        Resource: [tableArn(openIngestsByDay.name), tableArn(ingestLedger.name)],
      },
      {
        Effect: 'Allow',
        Action: ['cassandra:Select'],
        Resource: [tableArn(openIngestsByDay.name), tableArn(ingestLedger.name), systemArn],
      },
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

  it('lets the ingest status (getIngests) only read the ledger: no Modify, no S3, no queue', () => {
    const statements = roleStatements(stack().template, 'getIngests');
    expect(actions(statements, 'cassandra:')).toEqual([
      { Effect: 'Allow', Action: ['cassandra:Select'], Resource: [tableArn(ingestLedger.name), systemArn] },
    ]);
    expect(statements.flatMap((s) => s.Action).filter((a) => !/^(logs|ssm):/.test(a))).toEqual([
      'cassandra:Select',
    ]);
    expect(actions(statements, 's3:')).toEqual([]);
    expect(actions(statements, 'sqs:')).toEqual([]);
  });

  it('has no * resource and no managed policy anywhere', () => {
    const { template } = stack();
    expect(starStatements(template)).toEqual([]);
    expect(keyPaths(template.Resources, 'ManagedPolicyArns')).toEqual([]);
  });
});
