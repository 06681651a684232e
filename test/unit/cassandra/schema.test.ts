import type { Client } from 'cassandra-driver';
import { allTables } from '../../../lib/cassandra/model';
import { assertSchemaOnce } from '../../../lib/cassandra/schema';

/** Answers the schema check's system_schema reads: keyspaces in `ready` have every table of the model. */
function schemaClient(ready: ReadonlySet<string>) {
  const asked: string[] = [];
  const row = (fields: Record<string, unknown>) => ({ get: (name: string) => fields[name] });
  const columns = allTables.flatMap((t) =>
    t.columns.map((c) =>
      row({
        table_name: t.name,
        column_name: c.name,
        type: c.type,
        kind: t.partitionKey.includes(c.name)
          ? 'partition_key'
          : t.clustering.some((k) => k.column === c.name)
            ? 'clustering'
            : c.static
              ? 'static'
              : 'regular',
      }),
    ),
  );
  const client = {
    async execute(cql: string, params: unknown[]) {
      const keyspace = params[0] as string;
      asked.push(keyspace);
      const rows = !ready.has(keyspace)
        ? []
        : cql.includes('system_schema.keyspaces')
          ? [
              row({
                replication: {
                  class: 'org.apache.cassandra.locator.SimpleStrategy',
                  replication_factor: '1',
                },
              }),
            ]
          : columns;
      return { rows, first: () => rows[0] };
    },
  };
  return { client: client as unknown as Client, asked };
}

describe('assertSchemaOnce', () => {
  it('checks each keyspace on its own: one that passed says nothing about another', async () => {
    const { client, asked } = schemaClient(new Set(['ready_one']));
    await expect(assertSchemaOnce(client, 'ready_one')).resolves.toBeUndefined();
    await expect(assertSchemaOnce(client, 'empty_one')).rejects.toThrow(
      /keyspace empty_one does not exist.*CASSANDRA_KEYSPACE=empty_one/,
    );
    expect(new Set(asked)).toEqual(new Set(['ready_one', 'empty_one']));
  });

  it('asks again about a keyspace only until its check passes', async () => {
    const ready = new Set<string>();
    const { client, asked } = schemaClient(ready);
    await expect(assertSchemaOnce(client, 'later_one')).rejects.toThrow(/run `npm run schema`/);
    ready.add('later_one');
    await assertSchemaOnce(client, 'later_one');
    const queries = asked.length;
    await assertSchemaOnce(client, 'later_one');
    expect(asked).toHaveLength(queries);
  });
});
