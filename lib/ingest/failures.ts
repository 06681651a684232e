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
import { errors as driverErrors } from 'cassandra-driver';
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

/**
 * What a failure was, in a word a caller of the API may read (GET /ingests): never the error's own
 * text, which may hold driver messages with internal addresses or the object's rows. The text stays
 * in the logs and in the report in the outputs bucket, which only operators read.
 */
export const ERROR_CLASSES = {
  not_an_event_log: 'the object is not an event log the ingest can read; its report says why',
  cassandra_unavailable: 'the database did not answer in time; the part is retried',
  storage_unavailable: 'S3, SQS or the function’s disk failed; the part is retried',
  lease_lost: 'another delivery took the object version over',
  stalled: 'the version got nowhere however often it was resumed; operators redrive it',
  internal_error: 'an internal error; operators have the details',
} as const;
export type ErrorClass = keyof typeof ERROR_CLASSES;

/** The class of a failure, by its type and, for a service's, by what failed underneath. */
export function errorClassOf(err: unknown): ErrorClass {
  if (err instanceof InputError) return 'not_an_event_log';
  if (err instanceof LeaseLostError) return 'lease_lost';
  if (err instanceof TransientError)
    return err.cause instanceof driverErrors.DriverError ? 'cassandra_unavailable' : 'storage_unavailable';
  return 'internal_error';
}

/** A stored class as one of ours (rows written before classes existed, or by a newer version: none). */
export function errorClassFrom(
  stored: string | undefined,
  failure: FailureKind | undefined,
): ErrorClass | undefined {
  if (stored !== undefined && Object.hasOwn(ERROR_CLASSES, stored)) return stored as ErrorClass;
  if (failure === undefined) return undefined;
  return failure === 'input'
    ? 'not_an_event_log'
    : failure === 'lease_lost'
      ? 'lease_lost'
      : 'internal_error';
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
