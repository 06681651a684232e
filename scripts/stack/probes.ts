// Readiness means the service answers a real request: a CQL query for Cassandra, the health
// endpoint reporting S3 and SQS for LocalStack. An open port is not enough.
import type { ConnectionOptions } from 'node:tls';
import { Client, policies } from 'cassandra-driver';

/**
 * The release version the contact points answer with. `only`: the query goes to the contact points
 * themselves (host:port, as the driver names hosts), never to another node of their cluster, so a
 * node that is down is not reported ready because its neighbour answered.
 */
export async function cqlReleaseVersion(
  contactPoints: string[],
  opts: { only?: boolean; tls?: ConnectionOptions } = {},
): Promise<string> {
  // Any node will do for a probe; no datacenter needs to be known.
  const roundRobin = new policies.loadBalancing.RoundRobinPolicy();
  const client = new Client({
    contactPoints,
    policies: {
      loadBalancing: opts.only
        ? new policies.loadBalancing.AllowListPolicy(roundRobin, contactPoints)
        : roundRobin,
    },
    socketOptions: { connectTimeout: 2000, readTimeout: 5000 },
    pooling: { warmup: false },
    ...(opts.tls ? { sslOptions: opts.tls } : {}),
  });
  try {
    await client.connect();
    const rs = await client.execute('SELECT release_version FROM system.local');
    const version: unknown = rs.first()?.get('release_version');
    if (typeof version !== 'string') throw new Error('system.local returned no release_version');
    return version;
  } finally {
    await client.shutdown().catch(() => undefined);
  }
}

export interface LocalStackHealth {
  version: string;
  services: Record<string, string>;
}

const READY_STATES = new Set(['available', 'running']);

export async function localStackHealth(baseUrl: string): Promise<LocalStackHealth> {
  const res = await fetch(new URL('/_localstack/health', baseUrl), { signal: AbortSignal.timeout(3000) });
  if (!res.ok) throw new Error(`health endpoint answered HTTP ${res.status}`);
  const body = (await res.json()) as Partial<LocalStackHealth>;
  return { version: body.version ?? 'unknown', services: body.services ?? {} };
}

export function s3AndSqsReady(health: LocalStackHealth): boolean {
  return ['s3', 'sqs'].every((name) => READY_STATES.has(health.services[name] ?? ''));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls probe until it succeeds or timeoutMs passes. `alive` lets the caller fail fast when the
 * process it started has died.
 */
export async function waitFor<T>(
  probe: () => Promise<T>,
  opts: { timeoutMs: number; intervalMs: number; alive?: () => boolean; what: string },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (opts.alive && !opts.alive()) throw new Error(`${opts.what} exited during start-up`);
    try {
      return await probe();
    } catch (err: unknown) {
      lastError = err;
    }
    await sleep(opts.intervalMs);
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw new Error(`${opts.what} was not ready after ${Math.round(opts.timeoutMs / 1000)} s: ${reason}`);
}
