// The ledger's contract against the real Cassandra: the same suite as the in-memory store's, over
// CassandraLedgerStore's lightweight transactions and LOCAL_SERIAL reads. Every statement the
// ledger sends is recorded: each write is conditional, and none runs at a consistency Amazon
// Keyspaces refuses.
import { type QueryOptions, types } from 'cassandra-driver';
import { loadConfig } from '../../lib/config';
import { CassandraLedgerStore } from '../../lib/ingest/ledger';
import { describeLedgerContract } from '../support/ledger-contract';
import { useSchemaKeyspace } from './support/cassandra';

const ks = useSchemaKeyspace();
const sent: { cql: string; consistency: number | undefined; serial: number | undefined }[] = [];

describeLedgerContract('Cassandra', () => {
  const cfg = loadConfig({ ...process.env, CASSANDRA_KEYSPACE: ks.name });
  const client = {
    execute: ((cql: string, params: unknown[], options: QueryOptions) => {
      sent.push({ cql, consistency: options.consistency, serial: options.serialConsistency });
      return ks.client.execute(cql, params, options);
    }) as typeof ks.client.execute,
  };
  return { store: new CassandraLedgerStore(client, cfg.cassandra) };
});

describe('the statements the ledger sends', () => {
  it('are all conditional writes or serial reads, none at a consistency Keyspaces refuses', () => {
    expect(sent.length).toBeGreaterThan(20);
    const keyspacesWrites = [types.consistencies.localQuorum];
    for (const s of sent) {
      if (s.cql.startsWith('SELECT')) {
        expect(s.consistency).toBe(types.consistencies.localSerial);
      } else {
        expect(s.cql).toMatch(/ IF (NOT EXISTS|\w+ = \?)/);
        expect(keyspacesWrites).toContain(s.consistency);
        expect(s.serial).toBe(types.consistencies.localSerial);
      }
    }
  });
});
