// CQL derived from the data model: keyspace and table DDL, the insert of a source object into a
// table, keyed selects, and a row read back into the source object's shape. A select can only be
// built on the full partition key (plus clustering columns in order), so a non-keyed read cannot be
// expressed.
import type { types } from 'cassandra-driver';
import type { Replication } from '../config';
import type { CqlType, TableDef } from './model';

/**
 * An identifier as CQL must spell it: bare when it is lowercase (what Cassandra folds bare names
 * to), quoted otherwise. Every statement names keyspaces, tables and columns through this, so a
 * name means the same thing in every statement.
 */
const quoteIdent = (name: string) =>
  /^[a-z][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;

/** keyspace.table, each part spelled by quoteIdent. */
const tableRef = (keyspace: string, table: string) => `${quoteIdent(keyspace)}.${quoteIdent(table)}`;

export function replicationCql(replication: Replication): string {
  if (replication.class === 'SimpleStrategy') {
    return `{'class': 'SimpleStrategy', 'replication_factor': ${replication.replicationFactor}}`;
  }
  const dcs = Object.entries(replication.datacenters).map(([dc, rf]) => `'${dc.replace(/'/g, "''")}': ${rf}`);
  return `{'class': 'NetworkTopologyStrategy', ${dcs.join(', ')}}`;
}

export function createKeyspaceCql(keyspace: string, replication: Replication): string {
  return `CREATE KEYSPACE IF NOT EXISTS ${quoteIdent(keyspace)} WITH replication = ${replicationCql(replication)}`;
}

export function alterKeyspaceCql(keyspace: string, replication: Replication): string {
  return `ALTER KEYSPACE ${quoteIdent(keyspace)} WITH replication = ${replicationCql(replication)}`;
}

export function addColumnCql(keyspace: string, table: TableDef<never>, column: string): string {
  const col = table.columns.find((c) => c.name === column);
  if (!col) throw new Error(`${table.name}: no column ${column}`);
  return `ALTER TABLE ${tableRef(keyspace, table.name)} ADD ${quoteIdent(col.name)} ${col.type}${col.static ? ' STATIC' : ''}`;
}

export function createTableCql(keyspace: string, table: TableDef<never>): string {
  const columns = table.columns.map((c) => `  ${quoteIdent(c.name)} ${c.type}${c.static ? ' STATIC' : ''}`);
  const pk = `(${table.partitionKey.map(quoteIdent).join(', ')})`;
  const key = [pk, ...table.clustering.map((c) => quoteIdent(c.column))].join(', ');
  const order =
    table.clustering.length > 0
      ? ` WITH CLUSTERING ORDER BY (${table.clustering.map((c) => `${quoteIdent(c.column)} ${c.order}`).join(', ')})`
      : '';
  return `CREATE TABLE IF NOT EXISTS ${tableRef(keyspace, table.name)} (\n${columns.join(',\n')},\n  PRIMARY KEY (${key})\n)${order}`;
}

export interface InsertStatement<Source> {
  cql: string;
  /** Bound values in statement order; undefined stays unset (no tombstone), never null. */
  values(source: Source): unknown[];
}

export function insertStatement<Source>(keyspace: string, table: TableDef<Source>): InsertStatement<Source> {
  const names = table.columns.map((c) => quoteIdent(c.name));
  const fields = table.columns.map((c) => c.from);
  return {
    cql: `INSERT INTO ${tableRef(keyspace, table.name)} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`,
    values: (source) => fields.map((f) => source[f]),
  };
}

/** INSERT … IF NOT EXISTS: a lightweight transaction that writes the row only if there is none. */
export function insertIfAbsentStatement<Source>(
  keyspace: string,
  table: TableDef<Source>,
): InsertStatement<Source> {
  const insert = insertStatement(keyspace, table);
  return { cql: `${insert.cql} IF NOT EXISTS`, values: insert.values };
}

/**
 * UPDATE table SET <columns> = ? WHERE <primary key> = ? IF <conditions> = ?: a lightweight
 * transaction that writes only while the conditions hold (with no conditions, a plain update).
 * Values: the set columns' values from the source, then its key, then the condition values.
 */
export function conditionalUpdateStatement<Source>(
  keyspace: string,
  table: TableDef<Source>,
  set: readonly (keyof Source & string)[],
  conditions: readonly string[],
): { cql: string; values(source: Source, conditionValues: readonly unknown[]): unknown[] } {
  const column = (from: string) => {
    const c = table.columns.find((col) => col.from === from);
    if (!c) throw new Error(`${table.name}: no column from ${from}`);
    return c;
  };
  const keyNames = [...table.partitionKey, ...table.clustering.map((c) => c.column)];
  const keyFields = keyNames.map((name) => table.columns.find((c) => c.name === name)?.from as keyof Source);
  const setColumns = set.map(column);
  for (const name of conditions)
    if (!table.columns.some((c) => c.name === name)) throw new Error(`${table.name}: no column ${name}`);
  const cql =
    `UPDATE ${tableRef(keyspace, table.name)} SET ${setColumns.map((c) => `${quoteIdent(c.name)} = ?`).join(', ')}` +
    ` WHERE ${keyNames.map((k) => `${quoteIdent(k)} = ?`).join(' AND ')}` +
    (conditions.length > 0 ? ` IF ${conditions.map((c) => `${quoteIdent(c)} = ?`).join(' AND ')}` : '');
  return {
    cql,
    values: (source, conditionValues) => [
      ...setColumns.map((c) => source[c.from]),
      ...keyFields.map((f) => source[f]),
      ...conditionValues,
    ],
  };
}

/**
 * SELECT columns FROM table WHERE <key columns> = ?. keyColumns must be the whole partition key,
 * optionally followed by leading clustering columns: anything else throws at build time.
 */
export function keyedSelectCql<Source>(
  keyspace: string,
  table: TableDef<Source>,
  keyColumns: readonly string[],
  columns: readonly string[],
): string {
  const primary = [...table.partitionKey, ...table.clustering.map((c) => c.column)];
  const isPrefix = keyColumns.every((k, i) => primary[i] === k);
  if (keyColumns.length < table.partitionKey.length || !isPrefix) {
    throw new Error(
      `${table.name}: a read must restrict the partition key (${table.partitionKey.join(', ')}) ` +
        `and then clustering columns in order; got ${keyColumns.join(', ')}`,
    );
  }
  const known = new Set(table.columns.map((c) => c.name));
  for (const c of columns) if (!known.has(c)) throw new Error(`${table.name}: no column ${c}`);
  const where = keyColumns.map((k) => `${quoteIdent(k)} = ?`).join(' AND ');
  return `SELECT ${columns.map(quoteIdent).join(', ')} FROM ${tableRef(keyspace, table.name)} WHERE ${where}`;
}

/** DELETE FROM table WHERE <every primary key column> = ?: one row, bound by its key's values. */
export function deleteRowStatement<Source>(
  keyspace: string,
  table: TableDef<Source>,
): InsertStatement<Source> {
  const key = [...table.partitionKey, ...table.clustering.map((c) => c.column)];
  const fields = key.map((k) => table.columns.find((c) => c.name === k)?.from as keyof Source);
  return {
    cql: `DELETE FROM ${tableRef(keyspace, table.name)} WHERE ${key.map((k) => `${quoteIdent(k)} = ?`).join(' AND ')}`,
    values: (source) => fields.map((f) => source[f]),
  };
}

/** A value as the driver returns it, in the type the model's source objects use. */
function fromCql(type: CqlType, value: unknown): unknown {
  // An empty list is stored as no list at all: it reads back as null.
  if (value === null || value === undefined) return type === 'list<text>' ? [] : undefined;
  // bigint comes back as a driver Long; every bigint of the model (counts, offsets) fits a double.
  return type === 'bigint' ? Number(value) : value;
}

/** A row of `table` (selected with all its columns) as the source object it was written from. */
export function fromRow<Source>(table: TableDef<Source>, row: types.Row): Source {
  const source: Partial<Record<keyof Source, unknown>> = {};
  for (const column of table.columns) source[column.from] = fromCql(column.type, row.get(column.name));
  return source as Source;
}
