// The local event flow for a test file: its own bucket and queues, serverless offline writing to the
// file's keyspace, quiet, stopped after the file's tests.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { stackNames } from '../../../lib/infra/names';
import { createLogger } from '../../../lib/log';
import { type RunningFlow, startLocalFlow } from '../../../scripts/local/flow';
import type { TestKeyspace } from './cassandra';

export interface TestFlow {
  readonly names: ReturnType<typeof stackNames>;
  /** Set once the flow runs (in beforeAll). */
  readonly local: RunningFlow;
}

/** Registers beforeAll/afterAll hooks; read the returned object inside tests. */
export function useLocalFlow(
  prefix: string,
  ks: TestKeyspace,
  ingestEnv: Record<string, string> = {},
): TestFlow {
  const names = stackNames('tracklog', `${prefix}-${randomBytes(4).toString('hex')}`);
  let local: RunningFlow | undefined;
  beforeAll(async () => {
    local = await startLocalFlow({
      awsEndpoint: process.env.AWS_ENDPOINT_URL ?? 'http://127.0.0.1:4566',
      region: process.env.AWS_REGION ?? 'us-east-1',
      keyspace: ks.name,
      names,
      log: createLogger('error', {}, () => undefined),
      offline: { name: `${prefix}-${ks.name}` },
      ingestEnv,
    });
  }, 300_000);
  afterAll(async () => {
    await local?.stop();
  });
  return {
    names,
    get local() {
      if (!local) throw new Error('the local flow is not running yet (use it inside a test)');
      return local;
    },
  };
}

/**
 * Waits until the function's log (LOG_LEVEL info) says a delivery of `key` was admitted as `admission`
 * (duplicate, busy, stale, superseded): what a delivery that stores no report did.
 */
export async function loggedAdmission(
  flow: TestFlow,
  key: string,
  admission: string,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const line = (l: string) => l.includes(`"admission":"${admission}"`) && l.includes(`/${key}"`);
  while (!readFileSync(flow.local.offline.logFile, 'utf8').split('\n').some(line)) {
    if (Date.now() > deadline)
      throw new Error(`no delivery of ${key} was admitted as ${admission} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
