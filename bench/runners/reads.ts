// The read-latency rounds, in a process of their own: Q1, Q2 and Q3 at concurrency 1 and 32, through
// the raw driver (the same prepared CQL the API runs), the bundled handlers (each verifying the reader's token) required here (called
// in-process, as Lambda calls them) and HTTP through the serverless offline the bench started. Each
// round sends the same sampled keys to every mode, in a rotated order. Prints one JSON line.
// The handlers are not bundled into it: it loads the handler bundles given on the command line.

import { SCOPES } from '../../lib/auth';
import { createClient } from '../../lib/cassandra/client';
import { loadConfig } from '../../lib/config';
import { localAuthorization } from '../../scripts/stack/issuer';
import {
  compareModes,
  driverCalls,
  handlerCalls,
  httpCalls,
  type LatencyResult,
  type Mode,
  type Query,
  sampleRequests,
  summarizeRounds,
} from '../reads';
import { PROGRESS } from '../run-node';

async function main(): Promise<void> {
  const [playsFile = '', requestsArg = '', roundsArg = '', baseUrl = '', q1 = '', q2 = '', q3 = ''] =
    process.argv.slice(2);
  const requests = Number(requestsArg);
  const rounds = Number(roundsArg);
  const cfg = loadConfig();
  const client = createClient(cfg.cassandra);
  await client.connect();
  const handler = (bundle: string) => (require(bundle) as { handler: never }).handler;
  // One reader's token for the whole run, as a client would hold one (it is valid for an hour).
  const auth = await localAuthorization([SCOPES.read]);
  const modes = {
    driver: driverCalls(client, cfg.cassandra.keyspace),
    handler: handlerCalls({ q1: handler(q1), q2: handler(q2), q3: handler(q3) }, auth),
    http: httpCalls(baseUrl, auth),
  };
  const sample = sampleRequests(playsFile, requests);
  const results: LatencyResult[] = [];
  for (const query of ['q1', 'q2', 'q3'] as Query[]) {
    for (const concurrency of [1, 32]) {
      const calls = { driver: modes.driver[query], handler: modes.handler[query], http: modes.http[query] };
      const byMode = await compareModes(calls, sample[query], concurrency, rounds);
      for (const mode of Object.keys(calls) as Mode[]) {
        const m = summarizeRounds(byMode[mode]);
        results.push({ query, mode, concurrency, requests, ...m });
        process.stderr.write(
          `${PROGRESS}reads: ${query} ${mode} c=${concurrency}: p50 ${m.p50} p95 ${m.p95} p99 ${m.p99} ms ` +
            `(median of ${rounds} rounds; p99 ${m.p99Spread.min}–${m.p99Spread.max})\n`,
        );
      }
    }
  }
  process.stdout.write(`${JSON.stringify({ results })}\n`);
  // The handlers keep their own connected clients, as in a Lambda container: this process just ends.
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
