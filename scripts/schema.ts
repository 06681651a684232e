// npm run schema: creates or updates the keyspace and tables from the data model (idempotent).
// Secrets named by SSM parameter are fetched at start, as the Lambdas do.
import { createClient } from '../lib/cassandra/client';
import { replicationCql } from '../lib/cassandra/cql';
import { applySchema } from '../lib/cassandra/schema';
import { loadConfig } from '../lib/config';
import { resolveSecrets } from '../lib/secrets';

async function main(): Promise<void> {
  const cfg = await resolveSecrets(loadConfig());
  const { keyspace, replication } = cfg.cassandra;
  const client = createClient(cfg.cassandra);
  try {
    await client.connect();
    const changes = await applySchema(client, keyspace, replication);
    const changed = [
      ...changes.created.map((c) => `created ${c}`),
      ...changes.altered.map((a) => `altered ${a}`),
    ];
    process.stderr.write(
      changed.length > 0
        ? `${changed.join('\n')}\n`
        : `keyspace ${keyspace} is up to date (replication ${replicationCql(replication)})\n`,
    );
  } finally {
    await client.shutdown();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`schema: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
