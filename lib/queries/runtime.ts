// What the API handlers share per container: validated config, logger, and a query store over
// the one connected Cassandra client (connected on first use, then reused by warm invocations).
import { sharedClient } from '../cassandra/client';
import { config } from '../config';
import type { HttpOptions } from '../http';
import { createLogger } from '../log';
import { CassandraQueryStore, type QueryStore } from './store';

let store: Promise<QueryStore> | undefined;

export function apiRuntime(fn: string) {
  const cfg = config();
  const http: HttpOptions = { corsOrigins: cfg.api.corsOrigins, log: createLogger(cfg.logLevel, { fn }) };
  return {
    cfg,
    http,
    store(): Promise<QueryStore> {
      store ??= sharedClient(cfg.cassandra).then(
        (client) => new CassandraQueryStore(client, cfg.cassandra),
        (err: unknown) => {
          store = undefined;
          throw err;
        },
      );
      return store;
    },
  };
}
