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

/** Answers a cluster gives the same way to every try of the same request. */
const REFUSAL_CODES = new Set<number>([
  types.responseErrorCodes.syntaxError,
  types.responseErrorCodes.invalid,
  types.responseErrorCodes.unauthorized,
  types.responseErrorCodes.badCredentials,
  types.responseErrorCodes.configError,
  types.responseErrorCodes.alreadyExists,
  types.responseErrorCodes.protocolError,
]);

/**
 * An answer the cluster gives the same way every time (a statement it cannot run, a permission it
 * does not grant, bad arguments): not a failure to wait out, but something to fix. A server error,
 * a replica's read or write failure, is not one: another try may succeed.
 */
export function isRefusal(err: unknown): boolean {
  if (err instanceof errors.ArgumentError) return true;
  return err instanceof errors.ResponseError && REFUSAL_CODES.has(err.code);
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
 * Backoff: the first retry waits up to 200 ms and each next one up to twice as long, capped at 10 s
 * (full jitter, so retrying clients spread out). Retries go on for a time budget from the first
 * failure (INGEST_RETRY_BUDGET_MS, a minute by default), not for a count: a node that restarts
 * comes back in 10–30 s however many attempts that takes, and a failed object would otherwise wait
 * out the queue's backoff. Within the default minute that is about 11 retries.
 */
export const DEFAULT_RETRY_BASE_MS = 200;
export const DEFAULT_RETRY_MAX_DELAY_MS = 10_000;

export interface RetryOptions {
  /** How long retries may go on after the first failure. */
  budgetMs: number;
  /** An absolute time (epoch ms) no retry may start after, e.g. the end of an invocation's time. */
  giveUpAt?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Called before each retry, e.g. to count or log it. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
  /** Which errors are worth another try; the driver's transient ones (isTransient) unless given. */
  isRetryable?: (err: unknown) => boolean;
}

/** Full jitter: a uniformly random wait up to min(cap, base * 2^(attempt - 1)); attempt counts from 1. */
function backoffDelayMs(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  return Math.round(random() * Math.min(capMs, baseMs * 2 ** (attempt - 1)));
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
  const now = opts.now ?? Date.now;
  const retryable = opts.isRetryable ?? isTransient;
  const end = Math.min(now() + opts.budgetMs, opts.giveUpAt ?? Number.POSITIVE_INFINITY);
  let err = first;
  for (let attempt = 1; ; attempt++) {
    if (!retryable(err)) throw err;
    const delay = backoffDelayMs(attempt, base, cap, random);
    if (now() + delay > end) throw err;
    opts.onRetry?.(err, attempt, delay);
    await sleep(delay);
    try {
      return await operation();
    } catch (next: unknown) {
      err = next;
    }
  }
}
