import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { applySchema, assertSchema, SchemaError, schemaProblems } from '../../lib/cassandra/schema';
import { useTestKeyspace } from './support/cassandra';

const repo = resolve(__dirname, '..', '..');

/** `npm run schema` as a user runs it, with extra environment. */
function runSchema(env: Record<string, string>) {
  return spawnSync(join(repo, 'node_modules', '.bin', 'tsx'), [join(repo, 'scripts', 'schema.ts')], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
}

const local = { class: 'SimpleStrategy', replicationFactor: 1 } as const;

describe('applySchema', () => {
  const ks = useTestKeyspace();

  it('reports a keyspace without tables as not ready, naming what is missing', async () => {
    const problems = await schemaProblems(ks.client, ks.name);
    expect(problems).toContain(`table ${ks.name}.plays_by_session does not exist`);
    await expect(assertSchema(ks.client, ks.name)).rejects.toThrow(/run `npm run schema`/);
  });

  it('creates every table, then finds nothing to do the second time', async () => {
    const first = await applySchema(ks.client, ks.name, local);
    expect(first.created).toEqual([
      `table ${ks.name}.plays_by_session`,
      `table ${ks.name}.songs_by_user_session`,
      `table ${ks.name}.listeners_by_song`,
      `table ${ks.name}.ingest_ledger`,
      `table ${ks.name}.open_ingests_by_day`,
    ]);
    expect(await applySchema(ks.client, ks.name, local)).toEqual({ created: [], altered: [] });
    expect(await schemaProblems(ks.client, ks.name)).toEqual([]);
  });

  it('adds a column the model has and the table lacks', async () => {
    await ks.client.execute(`ALTER TABLE ${ks.name}.ingest_ledger DROP error`);
    expect(await schemaProblems(ks.client, ks.name)).toEqual([
      `table ${ks.name}.ingest_ledger lacks column error`,
    ]);
    expect((await applySchema(ks.client, ks.name, local)).altered).toEqual([
      `table ${ks.name}.ingest_ledger: added error`,
    ]);
    expect(await schemaProblems(ks.client, ks.name)).toEqual([]);
  });

  it('changes the replication of an existing keyspace', async () => {
    const nts = { class: 'NetworkTopologyStrategy', datacenters: { datacenter1: 1 } } as const;
    expect((await applySchema(ks.client, ks.name, nts)).altered).toEqual([
      `keyspace ${ks.name}: replication {'class': 'NetworkTopologyStrategy', 'datacenter1': 1}`,
    ]);
    expect((await applySchema(ks.client, ks.name, local)).altered).toHaveLength(1);
    expect(await applySchema(ks.client, ks.name, local)).toEqual({ created: [], altered: [] });
  });

  it('refuses to touch a table whose key or types differ from the model', async () => {
    await ks.client.execute(`DROP TABLE ${ks.name}.listeners_by_song`);
    await ks.client.execute(
      `CREATE TABLE ${ks.name}.listeners_by_song (song text PRIMARY KEY, user_id int, first_name text, last_name text)`,
    );
    await expect(applySchema(ks.client, ks.name, local)).rejects.toBeInstanceOf(SchemaError);
    await expect(applySchema(ks.client, ks.name, local)).rejects.toThrow(
      /listeners_by_song cannot be updated in place: column user_id is regular int, the model wants clustering int/,
    );
  });

  it('creates a missing keyspace with the configured replication', async () => {
    const other = `${ks.name}_b`;
    try {
      const changes = await applySchema(ks.client, other, {
        class: 'NetworkTopologyStrategy',
        datacenters: { datacenter1: 1 },
      });
      expect(changes.created[0]).toBe(`keyspace ${other}`);
      const rs = await ks.client.execute(
        'SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?',
        [other],
      );
      expect(rs.first()?.get('replication')).toMatchObject({
        class: 'org.apache.cassandra.locator.NetworkTopologyStrategy',
        datacenter1: '1',
      });
    } finally {
      await ks.client.execute(`DROP KEYSPACE IF EXISTS ${other}`);
    }
  });
});

describe('npm run schema', () => {
  const ks = useTestKeyspace();

  it('updates the keyspace CASSANDRA_KEYSPACE names', async () => {
    const res = runSchema({ CASSANDRA_KEYSPACE: ks.name });
    expect(res.stderr).toContain(`created table ${ks.name}.plays_by_session`);
    expect(res.status).toBe(0);
    expect(await schemaProblems(ks.client, ks.name)).toEqual([]);
  });

  it('refuses a keyspace name that is not lowercase, before connecting', () => {
    const res = runSchema({ CASSANDRA_KEYSPACE: ks.name.toUpperCase() });
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/^schema: CASSANDRA_KEYSPACE: must be a lowercase letter/);
  });

  it('fetches the password from the SSM parameter named, as the Lambdas do', () => {
    // LocalStack here serves S3 and SQS only: the fetch fails, which shows it is attempted (the local
    // node needs no password, so a CLI that skipped the fetch would succeed).
    const res = runSchema({
      CASSANDRA_KEYSPACE: ks.name,
      CASSANDRA_AUTH: 'password',
      CASSANDRA_USERNAME: 'tracklog',
      CASSANDRA_PASSWORD_SSM_PARAMETER: '/tracklog/it/cassandra-password',
    });
    expect(res.stderr).toMatch(
      /^schema: CASSANDRA_PASSWORD_SSM_PARAMETER: cannot read SSM parameter \/tracklog\/it\/cassandra-password: /,
    );
    expect(res.status).toBe(1);
  });
});
