// Retries of idempotent statements on the errors that mean "try again later": coordinator
// timeouts, overload, not enough replicas, a bootstrapping node, a client-side timeout, or no host
// reachable for a moment. Exponential backoff with full jitter, so retrying clients spread out.
import { errors, policies, types } from 'cassandra-driver';

const TRANSIENT_CODES = new Set<number>([
  types.responseErrorCodes.writeTimeout,
  types.responseErrorCodes.readTimeout,
  types.responseErrorCodes.unavailableException,
  types.responseErrorCodes.overloaded,
  types.responseErrorCodes.isBootstrapping,
]);

export function isTransient(err: unknown): boolean {
  if (err instanceof errors.OperationTimedOutError || err instanceof errors.NoHostAvailableError) return true;
  if (err instanceof errors.ResponseError) return TRANSIENT_CODES.has(err.code);
  return false;
}

/**
 * The driver's share of a write's retries (see lib/cassandra/client.ts): a request whose connection
 * failed goes to the next host at once (once), as under the driver's default policy; a timeout,
 * unavailable or overloaded answer is handed back unretried, for withRetry to retry after a backoff.
 */
class WriteRetryPolicy extends policies.retry.RetryPolicy {
  override onRequestError(
    info: policies.retry.OperationInfo,
    consistency: types.consistencies,
    err: Error,
  ): policies.retry.DecisionInfo {
    // The driver marks socket errors; a client-side timeout or an overloaded node is not one.
    if ((err as { isSocketError?: boolean }).isSocketError)
      return super.onRequestError(info, consistency, err);
    return this.rethrowResult();
  }

  override onReadTimeout() {
    return this.rethrowResult();
  }

  override onWriteTimeout() {
    return this.rethrowResult();
  }

  override onUnavailable() {
    return this.rethrowResult();
  }
}

export const writeRetryPolicy: policies.retry.RetryPolicy = new WriteRetryPolicy();

/**
 * Backoff defaults: the first retry waits up to 200 ms and each next one up to twice as long, capped
 * at 10 s. With the default 8 retries (INGEST_MAX_RETRIES) that is up to 32.6 s of waiting (half on
 * average, by the jitter), on top of the attempts themselves: enough to ride out an overloaded or
 * restarting node, where a failed object would otherwise wait out the queue's visibility timeout.
 */
export const DEFAULT_RETRY_BASE_MS = 200;
export const DEFAULT_RETRY_MAX_DELAY_MS = 10_000;

export interface RetryOptions {
  maxRetries: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Called before each retry, e.g. to count or log it. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** Full jitter: a uniformly random wait up to min(cap, base * 2^(attempt - 1)); attempt counts from 1. */
function backoffDelayMs(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  return Math.round(random() * Math.min(capMs, baseMs * 2 ** (attempt - 1)));
}

/** The longest a run of retries can wait in total (every jitter at its maximum). */
export function maxBackoffMs(
  maxRetries: number,
  baseMs = DEFAULT_RETRY_BASE_MS,
  capMs = DEFAULT_RETRY_MAX_DELAY_MS,
): number {
  let total = 0;
  for (let attempt = 1; attempt <= maxRetries; attempt++)
    total += backoffDelayMs(attempt, baseMs, capMs, () => 1);
  return total;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs operation, retrying transient failures; the first attempt costs no more than the call itself. */
export function withRetry<T>(operation: () => Promise<T>, opts: RetryOptions): Promise<T> {
  return operation().catch((err: unknown) => retryAfter(err, operation, opts));
}

async function retryAfter<T>(first: unknown, operation: () => Promise<T>, opts: RetryOptions): Promise<T> {
  const base = opts.baseDelayMs ?? DEFAULT_RETRY_BASE_MS;
  const cap = opts.maxDelayMs ?? DEFAULT_RETRY_MAX_DELAY_MS;
  const sleep = opts.sleep ?? defaultSleep;
  const random = opts.random ?? Math.random;
  let err = first;
  for (let attempt = 1; ; attempt++) {
    if (attempt > opts.maxRetries || !isTransient(err)) throw err;
    const delay = backoffDelayMs(attempt, base, cap, random);
    opts.onRetry?.(err, attempt, delay);
    await sleep(delay);
    try {
      return await operation();
    } catch (next: unknown) {
      err = next;
    }
  }
}
