// The Cassandra client, built from the validated config: self-hosted (plain or user/password, with
// optional TLS) or Amazon Keyspaces (TLS + SigV4). One connected client per process: Lambda
// containers reuse it across invocations, and it is never shut down inside a handler.
//
// Who retries what, so that no failure is retried by two layers that do not know of each other:
// - Reads (the API) are retried by the driver alone, with its default policy: on the next host,
//   after a timeout or a lost connection (reads are idempotent). A client is waiting; there is no
//   backoff layer. A read its coordinator has not answered within a third of the per-attempt
//   timeout is also sent to a second coordinator, and the first answer wins (ReadSpeculation,
//   the query API's client only).
// - Writes (plays and the ledger) are retried by lib/cassandra/retry.ts (withRetry): with backoff,
//   over seconds, so an overloaded or restarting node is ridden out. Their statements carry
//   writeRetryPolicy, under which the driver only moves a request whose connection failed to the
//   next host at once, and leaves every timeout, unavailable or overloaded answer to withRetry.
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { auth, Client, type ClientOptions, policies, type QueryOptions, types } from 'cassandra-driver';
import type { CassandraConfig, Consistency } from '../config';
import { writeRetryPolicy } from './retry';
import { SigV4AuthProvider } from './sigv4';

export function consistencyCode(c: Consistency): number {
  return types.consistencies[
    {
      ONE: 'one',
      LOCAL_ONE: 'localOne',
      QUORUM: 'quorum',
      LOCAL_QUORUM: 'localQuorum',
      EACH_QUORUM: 'eachQuorum',
      ALL: 'all',
    }[c] as keyof typeof types.consistencies
  ];
}

/** Options of every write: prepared, idempotent (upserts), retried as the header says. */
export function writeOptions(cfg: CassandraConfig): QueryOptions {
  return {
    prepare: true,
    isIdempotent: true,
    consistency: consistencyCode(cfg.writeConsistency),
    retry: writeRetryPolicy,
  };
}

/** Options of a lightweight transaction (the ledger's lease): a write, agreed on by Paxos in the local DC. */
export function serialOptions(cfg: CassandraConfig): QueryOptions {
  return { ...writeOptions(cfg), serialConsistency: types.consistencies.localSerial };
}

/**
 * Options of a read that must see every lightweight transaction applied before it, including one
 * still in flight when another did not apply (the ledger decides on it): LOCAL_SERIAL, which
 * completes an unfinished Paxos round first. Amazon Keyspaces (SigV4) refuses SERIAL reads; there
 * a LOCAL_QUORUM read already reflects every prior successful write, lightweight ones included.
 */
export function serialReadOptions(cfg: CassandraConfig): QueryOptions {
  const consistency =
    cfg.auth.kind === 'sigv4' ? types.consistencies.localQuorum : types.consistencies.localSerial;
  return { prepare: true, isIdempotent: true, consistency, retry: writeRetryPolicy };
}

function authProvider(cfg: CassandraConfig): auth.AuthProvider | undefined {
  switch (cfg.auth.kind) {
    case 'password':
      return new auth.PlainTextAuthProvider(cfg.auth.username, cfg.auth.password);
    case 'sigv4':
      return new SigV4AuthProvider(cfg.auth.region);
    case 'none':
      return undefined;
  }
}

/**
 * A second coordinator for a read (SELECT) not answered within delayMs, once; writes never; only
 * in the query API's client (ClientRole), never for the ledger's serial reads. A node
 * that has just died is still believed up by the others for some seconds (until gossip convicts
 * it), and a coordinator that chose it as a replica can wait on it past the API's per-attempt
 * timeout (3 s): seen as one 503 in about 1,000 requests when node 1 of three was killed (fault case
 * h). The read is idempotent, so asking a second coordinator costs only the extra read, and only
 * for the rare slow one. Writes are left out: a slow write is retried with backoff (withRetry), and
 * speculating would double the load of an ingest exactly when the cluster is short of a node.
 */
export class ReadSpeculation implements policies.speculativeExecution.SpeculativeExecutionPolicy {
  constructor(readonly delayMs: number) {}
  init(): void {}
  shutdown(): void {}
  getOptions(): Map<string, object> {
    return new Map();
  }
  newPlan(_keyspace: string, queryInfo: string | object[]): { nextExecution: () => number } {
    let left = typeof queryInfo === 'string' && /^\s*SELECT\b/i.test(queryInfo) ? 1 : 0;
    return { nextExecution: () => (left-- > 0 ? this.delayMs : -1) };
  }
}

/**
 * Who a process's client serves: the query API (reads a client waits for: they speculate, see
 * ReadSpeculation), or the ingest and the sweep (the ledger's serial reads must not: two Paxos
 * rounds on one row compete, and under writeRetryPolicy the first timeout of either ends both).
 */
export type ClientRole = 'queries' | 'ingest';

function clientOptions(cfg: CassandraConfig, role: ClientRole): ClientOptions {
  const options: ClientOptions = {
    contactPoints: cfg.contactPoints,
    localDataCenter: cfg.localDataCenter,
    queryOptions: { consistency: consistencyCode(cfg.readConsistency), prepare: true },
    socketOptions: { readTimeout: cfg.requestTimeoutMs, connectTimeout: 5000 },
    // Keyspaces takes at most 3,000 requests a second on one connection (its public endpoint has 9
    // hosts): a load above that needs more connections per host, not more requests per connection.
    pooling: { coreConnectionsPerHost: { [types.distance.local]: cfg.connectionsPerHost } },
    policies: {
      // The default schedule (1 s doubling to 10 min) tries a node that has been down for 20 s again
      // only after 31 s, then after 63 s: past the minute a write retries for. Trying every 2 s at
      // most, a node restarted in 30 s is back in use within 2 s of answering.
      reconnection: new policies.reconnection.ExponentialReconnectionPolicy(250, 2000, false),
      ...(role === 'queries'
        ? { speculativeExecution: new ReadSpeculation(Math.round(cfg.requestTimeoutMs / 3)) }
        : {}),
    },
  };
  const provider = authProvider(cfg);
  if (provider) options.authProvider = provider;
  if (cfg.tls.enabled) options.sslOptions = tlsOptions(cfg);
  return options;
}

/**
 * TLS to every node at its own address. The driver calls tls.connect(port, nodeAddress, sslOptions)
 * for each node, and Node lets an options.host override that address: a `host` here sent the
 * connection of every node to one (node 1 down, no node reachable). So there is none, and with no
 * servername Node checks each node's certificate against the address dialled (a self-hosted node's
 * certificate must name its own address, an IP SAN, as the local stack's do).
 *
 * Amazon Keyspaces (CASSANDRA_AUTH=sigv4) is one endpoint, cassandra.<region>.amazonaws.com:9142, in
 * front of the cluster: the peers it lists are addresses of that endpoint, and its certificate names
 * only the endpoint. There, servername (sent as SNI and checked against the certificate) is the
 * contact point's name, and each connection still goes to its own address.
 */
export function tlsOptions(cfg: CassandraConfig): ConnectionOptions {
  const endpoint = cfg.auth.kind === 'sigv4' ? cfg.contactPoints[0]?.replace(/:\d+$/, '') : undefined;
  return {
    rejectUnauthorized: true,
    ...(endpoint ? { servername: endpoint } : {}),
    ...(cfg.tls.caFile ? { ca: [readFileSync(cfg.tls.caFile)] } : {}),
  };
}

export function createClient(cfg: CassandraConfig, role: ClientRole = 'ingest'): Client {
  return new Client(clientOptions(cfg, role));
}

const shared = new Map<ClientRole, Promise<Client>>();

/**
 * The process-wide connected client of a role (one per role: serverless offline runs every
 * function in one process). A failed connect is forgotten so the next call (the next invocation)
 * tries again instead of failing forever.
 */
export function sharedClient(cfg: CassandraConfig, role: ClientRole = 'ingest'): Promise<Client> {
  let connected = shared.get(role);
  if (!connected) {
    const client = createClient(cfg, role);
    connected = client.connect().then(
      () => client,
      async (err: unknown) => {
        shared.delete(role);
        await client.shutdown().catch(() => undefined);
        throw err;
      },
    );
    shared.set(role, connected);
  }
  return connected;
}

/** For CLIs and tests that end: closes the shared clients that were made. */
export async function closeSharedClient(): Promise<void> {
  const current = [...shared.values()];
  shared.clear();
  await Promise.all(current.map(async (c) => (await c.catch(() => undefined))?.shutdown()));
}
