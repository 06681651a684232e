// Why an ingest part failed, decided by the error's type and nothing else, because the kind decides
// what happens to the message (lib/ingest/lifecycle.ts, messageAction):
// - input: the object can never be ingested as it is (InputError, from lib/events/): the
//   dead-letter queue at once;
// - transient: a service failed (Cassandra, S3, SQS, the network) after its own retries: the
//   message comes back after a backoff, and on its last delivery goes to the dead-letter queue;
// - lease_lost: another delivery took the version over (this one was too slow): that one carries
//   it on;
// - defect: a broken invariant or an error nobody expected (a TypeError is a bug, not a blip):
//   never retried as if it were transient; the dead-letter queue at once, with its own alarm.
// Adapters to the services (lib/ingest/sources.ts, ledger.ts, batch-sink.ts, output-store.ts,
// queue.ts) wrap what the services throw in TransientError: an error that reaches the pipeline
// unwrapped did not come from a service, and is a defect.
import { isRefusal } from '../cassandra/retry';
import { InputError } from '../events/input-error';
import { ObjectChangedError } from './types';

export const FAILURE_KINDS = ['input', 'transient', 'lease_lost', 'defect'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

/** A service failed after its own retries; a later delivery may succeed. */
export class TransientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientError';
  }
}

/** The lease on the object version is another delivery's now: what this one did is not recorded. */
export class LeaseLostError extends Error {
  constructor(message = 'lost the lease on this object version to another delivery') {
    super(message);
    this.name = 'LeaseLostError';
  }
}

/** A rule of the ingest did not hold (an accounting mismatch, a forbidden transition): a bug. */
export class InvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvariantError';
  }
}

export function failureKindOf(err: unknown): FailureKind {
  if (err instanceof InputError) return 'input';
  if (err instanceof TransientError) return 'transient';
  if (err instanceof LeaseLostError) return 'lease_lost';
  return 'defect';
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** JavaScript's own errors of a program that is wrong: the adapter has a bug, the service did not fail. */
const isProgrammingError = (err: unknown) =>
  err instanceof TypeError ||
  err instanceof ReferenceError ||
  err instanceof RangeError ||
  err instanceof SyntaxError;

/**
 * What a service call threw, as a TransientError naming what was being done — the wrapper every
 * adapter uses — unless it is already of a kind (an adapter that decided), the object's version
 * having changed (not a failure: the version is superseded), or a programming error.
 */
export function asTransient(err: unknown, doing: string): unknown {
  if (
    err instanceof InputError ||
    err instanceof TransientError ||
    err instanceof LeaseLostError ||
    err instanceof InvariantError ||
    err instanceof ObjectChangedError ||
    isProgrammingError(err)
  )
    return err;
  return new TransientError(`${doing}: ${messageOf(err)}`, { cause: err });
}

/**
 * What a Cassandra call threw after its retries: transient, unless the cluster refused it (a
 * statement it cannot run, a permission it does not grant), which waiting never fixes: a defect.
 */
export function cassandraFailure(err: unknown, doing: string): unknown {
  return isRefusal(err) ? err : asTransient(err, doing);
}

/** Runs a service call, its failure as asTransient's (Cassandra's as cassandraFailure's). */
export async function transient<T>(doing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err: unknown) {
    throw cassandraFailure(err, doing);
  }
}
