// The Amazon Keyspaces variant's keyspace and tables, derived from the same data model as the CQL
// DDL (lib/cassandra/model.ts): the model's CQL types are the Keyspaces column types.
import { allTables, type TableDef } from '../cassandra/model';
import { logicalId, type Resource } from './names';

/**
 * The keyspace and tables outlive their resources: a renamed keyspace (the stage-derived default
 * replacing an explicit name, say) makes CloudFormation replace it, and a deploy of the same stage
 * that forgets --param="database=keyspaces" removes them from the template, which deletes them.
 * Either way the old keyspace and its data stay, to drop by hand once no longer wanted.
 */
const keptData = { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' } as const;

function keyspacesTable(keyspace: string, table: TableDef<never>): Resource {
  const column = (name: string) => {
    const col = table.columns.find((c) => c.name === name);
    if (!col) throw new Error(`${table.name}: no column ${name}`);
    return { ColumnName: col.name, ColumnType: col.type };
  };
  const keys = new Set([...table.partitionKey, ...table.clustering.map((c) => c.column)]);
  return {
    Type: 'AWS::Cassandra::Table',
    DependsOn: ['TracklogKeyspace'],
    ...keptData,
    Properties: {
      KeyspaceName: keyspace,
      TableName: table.name,
      PartitionKeyColumns: table.partitionKey.map(column),
      ClusteringKeyColumns: table.clustering.map((c) => ({ Column: column(c.column), OrderBy: c.order })),
      RegularColumns: table.columns
        .filter((c) => !keys.has(c.name))
        .map((c) => ({ ColumnName: c.name, ColumnType: `${c.type}${c.static ? ' STATIC' : ''}` })),
      BillingMode: { Mode: 'ON_DEMAND' },
      PointInTimeRecoveryEnabled: true,
    },
  };
}

export function keyspacesResources(keyspace: string): Record<string, Resource> {
  const resources: Record<string, Resource> = {
    TracklogKeyspace: {
      Type: 'AWS::Cassandra::Keyspace',
      Properties: { KeyspaceName: keyspace },
      ...keptData,
    },
  };
  for (const table of allTables) resources[`${logicalId(table.name)}Table`] = keyspacesTable(keyspace, table);
  return resources;
}
