// A throwaway keyspace per test file on the real local Cassandra: created before the file's tests,
// dropped after them, so files can run in parallel and leave nothing behind.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client } from 'cassandra-driver';
import { applySchema } from '../../../lib/cassandra/schema';

export interface TestKeyspace {
  readonly client: Client;
  readonly name: string;
}

export function newClient(keyspace?: string): Client {
  const contactPoints = (process.env.CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:9042').split(',');
  // The CA that `stack:up -- --tls` prints: the tests then speak TLS to the nodes, as the functions do.
  const caFile = process.env.CASSANDRA_TLS_CA_FILE;
  return new Client({
    contactPoints,
    localDataCenter: process.env.CASSANDRA_LOCAL_DC ?? 'datacenter1',
    ...(keyspace ? { keyspace } : {}),
    ...(caFile ? { sslOptions: { ca: [readFileSync(caFile)], rejectUnauthorized: true } } : {}),
  });
}

/** Registers beforeAll/afterAll hooks; read the returned object inside tests. */
export function useTestKeyspace(): TestKeyspace {
  const name = `it_${randomBytes(6).toString('hex')}`;
  const client = newClient();
  beforeAll(async () => {
    await client.connect();
    await client.execute(
      `CREATE KEYSPACE ${name} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
  });
  afterAll(async () => {
    try {
      await client.execute(`DROP KEYSPACE IF EXISTS ${name}`);
    } finally {
      await client.shutdown();
    }
  });
  return { client, name };
}

/** A test keyspace with the project's schema applied: what `npm run schema` would create. */
export function useSchemaKeyspace(): TestKeyspace {
  const ks = useTestKeyspace();
  beforeAll(async () => {
    await applySchema(ks.client, ks.name, { class: 'SimpleStrategy', replicationFactor: 1 });
  });
  return ks;
}

export async function count(client: Client, keyspace: string, table: string): Promise<number> {
  const rs = await client.execute(`SELECT count(*) FROM ${keyspace}.${table}`);
  return Number(rs.first()?.get('count'));
}
