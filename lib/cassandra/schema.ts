// Creates or updates the keyspace and tables from the data model (idempotent), and checks that a
// keyspace matches the model before anything is written to it.
import type { Client } from 'cassandra-driver';
import type { Replication } from '../config';
import { addColumnCql, alterKeyspaceCql, createKeyspaceCql, createTableCql, replicationCql } from './cql';
import { allTables, type TableDef } from './model';

export class SchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaError';
  }
}

type ColumnKind = 'partition_key' | 'clustering' | 'regular' | 'static';
interface LiveColumn {
  type: string;
  kind: ColumnKind;
}

async function liveTables(client: Client, keyspace: string): Promise<Map<string, Map<string, LiveColumn>>> {
  const rs = await client.execute(
    'SELECT table_name, column_name, type, kind FROM system_schema.columns WHERE keyspace_name = ?',
    [keyspace],
    { prepare: true },
  );
  const tables = new Map<string, Map<string, LiveColumn>>();
  for (const row of rs.rows) {
    const table = row.get('table_name') as string;
    if (!tables.has(table)) tables.set(table, new Map());
    tables.get(table)?.set(row.get('column_name') as string, {
      type: row.get('type') as string,
      kind: row.get('kind') as ColumnKind,
    });
  }
  return tables;
}

/** The keyspace's replication map as Cassandra reports it, or undefined when it does not exist. */
async function liveReplication(
  client: Client,
  keyspace: string,
): Promise<Record<string, string> | undefined> {
  const rs = await client.execute(
    'SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?',
    [keyspace],
    { prepare: true },
  );
  return rs.first()?.get('replication') as Record<string, string> | undefined;
}

function sameReplication(live: Record<string, string>, wanted: Replication): boolean {
  const cls = (live.class ?? '').split('.').pop();
  if (cls !== wanted.class) return false;
  const want: Record<string, string> =
    wanted.class === 'SimpleStrategy'
      ? { replication_factor: String(wanted.replicationFactor) }
      : Object.fromEntries(Object.entries(wanted.datacenters).map(([dc, rf]) => [dc, String(rf)]));
  const have = Object.fromEntries(Object.entries(live).filter(([k]) => k !== 'class'));
  return JSON.stringify(Object.entries(have).sort()) === JSON.stringify(Object.entries(want).sort());
}

function expectedKind(table: TableDef<never>, column: string, isStatic: boolean): ColumnKind {
  if (table.partitionKey.includes(column)) return 'partition_key';
  if (table.clustering.some((c) => c.column === column)) return 'clustering';
  return isStatic ? 'static' : 'regular';
}

/** Differences between the model and the live table; 'missing' ones can be added by ALTER TABLE. */
function compare(table: TableDef<never>, live: Map<string, LiveColumn>) {
  const missing: TableDef<never>['columns'][number][] = [];
  const incompatible: string[] = [];
  for (const col of table.columns) {
    const kind = expectedKind(table, col.name, col.static === true);
    const found = live.get(col.name);
    if (!found) {
      if (kind === 'regular' || kind === 'static') missing.push(col);
      else incompatible.push(`key column ${col.name} is missing`);
    } else if (found.type !== col.type || found.kind !== kind) {
      incompatible.push(
        `column ${col.name} is ${found.kind} ${found.type}, the model wants ${kind} ${col.type}`,
      );
    }
  }
  return { missing, incompatible };
}

/** Problems that stop an ingest or a query from using this keyspace; empty when it is ready. */
export async function schemaProblems(
  client: Client,
  keyspace: string,
  tables: readonly TableDef<never>[] = allTables,
): Promise<string[]> {
  if (!(await liveReplication(client, keyspace))) return [`keyspace ${keyspace} does not exist`];
  const live = await liveTables(client, keyspace);
  const problems: string[] = [];
  for (const table of tables) {
    const columns = live.get(table.name);
    if (!columns) {
      problems.push(`table ${keyspace}.${table.name} does not exist`);
      continue;
    }
    const { missing, incompatible } = compare(table, columns);
    for (const col of missing) problems.push(`table ${keyspace}.${table.name} lacks column ${col.name}`);
    for (const p of incompatible) problems.push(`table ${keyspace}.${table.name}: ${p}`);
  }
  return problems;
}

export async function assertSchema(client: Client, keyspace: string): Promise<void> {
  const problems = await schemaProblems(client, keyspace);
  if (problems.length > 0) {
    throw new SchemaError(
      `the schema is missing or out of date (${problems.join('; ')}): run \`npm run schema\` ` +
        `with CASSANDRA_KEYSPACE=${keyspace} first`,
    );
  }
}

const checked = new Map<string, Promise<void>>();

/**
 * assertSchema once per keyspace per process (the ingest checks before each object); a failed
 * check is not cached, so a fix is picked up. A keyspace that passed says nothing about another
 * one (tests and backfills switch keyspaces).
 */
export function assertSchemaOnce(client: Client, keyspace: string): Promise<void> {
  let check = checked.get(keyspace);
  if (!check) {
    check = assertSchema(client, keyspace).catch((err: unknown) => {
      checked.delete(keyspace);
      throw err;
    });
    checked.set(keyspace, check);
  }
  return check;
}

export interface SchemaChanges {
  created: string[];
  altered: string[];
}

/** Creates what is missing and adds missing columns; never drops or rewrites anything. */
export async function applySchema(
  client: Client,
  keyspace: string,
  replication: Replication,
): Promise<SchemaChanges> {
  const changes: SchemaChanges = { created: [], altered: [] };
  const current = await liveReplication(client, keyspace);
  if (!current) {
    await client.execute(createKeyspaceCql(keyspace, replication));
    changes.created.push(`keyspace ${keyspace}`);
  } else if (!sameReplication(current, replication)) {
    await client.execute(alterKeyspaceCql(keyspace, replication));
    changes.altered.push(`keyspace ${keyspace}: replication ${replicationCql(replication)}`);
  }
  const live = await liveTables(client, keyspace);
  for (const table of allTables) {
    const columns = live.get(table.name);
    if (!columns) {
      await client.execute(createTableCql(keyspace, table));
      changes.created.push(`table ${keyspace}.${table.name}`);
      continue;
    }
    const { missing, incompatible } = compare(table, columns);
    if (incompatible.length > 0) {
      throw new SchemaError(
        `table ${keyspace}.${table.name} cannot be updated in place: ${incompatible.join('; ')}. ` +
          'Primary keys and column types cannot change; migrate the data to a new table.',
      );
    }
    for (const col of missing) {
      await client.execute(addColumnCql(keyspace, table, col.name));
      changes.altered.push(`table ${keyspace}.${table.name}: added ${col.name}`);
    }
  }
  return changes;
}
