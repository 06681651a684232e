// Retries of idempotent statements on the errors that mean "try again later": coordinator
// timeouts, overload, not enough replicas, a bootstrapping node, a client-side timeout, or no host
// reachable for a moment. Exponential backoff with full jitter, so retrying clients spread out.
import { errors, types } from 'cassandra-driver';

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

export interface RetryOptions {
  maxRetries: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Called before each retry, e.g. to count or log it. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs operation, retrying transient failures; the first attempt costs no more than the call itself. */
export function withRetry<T>(operation: () => Promise<T>, opts: RetryOptions): Promise<T> {
  return operation().catch((err: unknown) => retryAfter(err, operation, opts));
}

async function retryAfter<T>(first: unknown, operation: () => Promise<T>, opts: RetryOptions): Promise<T> {
  const base = opts.baseDelayMs ?? 50;
  const cap = opts.maxDelayMs ?? 5000;
  const sleep = opts.sleep ?? defaultSleep;
  const random = opts.random ?? Math.random;
  let err = first;
  for (let attempt = 1; ; attempt++) {
    if (attempt > opts.maxRetries || !isTransient(err)) throw err;
    const delay = Math.round(random() * Math.min(cap, base * 2 ** (attempt - 1)));
    opts.onRetry?.(err, attempt, delay);
    await sleep(delay);
    try {
      return await operation();
    } catch (next: unknown) {
      err = next;
    }
  }
}
