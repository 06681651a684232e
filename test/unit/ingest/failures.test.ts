import { errors, types } from 'cassandra-driver';
import { InputError } from '../../../lib/events/input-error';
import {
  asTransient,
  cassandraFailure,
  errorClassFrom,
  errorClassOf,
  failureKindOf,
  InvariantError,
  LeaseLostError,
  TransientError,
} from '../../../lib/ingest/failures';
import { ObjectChangedError } from '../../../lib/ingest/types';

describe('failureKindOf', () => {
  it.each([
    ['an input error', new InputError('not UTF-8 text'), 'input'],
    ['a service failure, wrapped by its adapter', new TransientError('S3: SlowDown'), 'transient'],
    ['a lost lease', new LeaseLostError(), 'lease_lost'],
    ['a broken invariant', new InvariantError('accounting mismatch'), 'defect'],
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'etag')"), 'defect'],
    ['an error no adapter wrapped', new Error('something'), 'defect'],
    ['a thrown string', 'boom', 'defect'],
  ])('takes %s as %s', (_name, err, kind) => {
    expect(failureKindOf(err)).toBe(kind);
  });
});

describe('errorClassOf', () => {
  const noHost = new errors.NoHostAvailableError({ '10.0.1.10:9042': new Error('connect ECONNREFUSED') });
  it.each([
    ['an input error', new InputError('no header; line 1 is "Mira,Quell"'), 'not_an_event_log'],
    [
      'Cassandra unavailable after the retries',
      asTransient(noHost, 'writing plays'),
      'cassandra_unavailable',
    ],
    [
      'the ledger timing out',
      cassandraFailure(
        new errors.OperationTimedOutError('timed out', '10.0.1.10:9042'),
        'ingest ledger: write',
      ),
      'cassandra_unavailable',
    ],
    [
      'S3 failing',
      asTransient(Object.assign(new Error('SlowDown'), { $metadata: {} }), 'cannot read the object'),
      'storage_unavailable',
    ],
    ['a full disk', new TransientError('writing rejects: ENOSPC'), 'storage_unavailable'],
    ['a lost lease', new LeaseLostError(), 'lease_lost'],
    ['a broken invariant', new InvariantError('accounting mismatch'), 'internal_error'],
    [
      'Cassandra refusing a statement (a defect)',
      cassandraFailure(new errors.ResponseError(0x2200, 'Invalid'), 'w'),
      'internal_error',
    ],
  ])('takes %s as %s', (_name, err, cls) => {
    expect(errorClassOf(err)).toBe(cls);
  });

  it('reads a stored class, and makes one of the failure kind for rows written before classes', () => {
    expect(errorClassFrom('cassandra_unavailable', 'transient')).toBe('cassandra_unavailable');
    expect(errorClassFrom(undefined, 'input')).toBe('not_an_event_log');
    expect(errorClassFrom('something newer', 'transient')).toBe('internal_error');
    expect(errorClassFrom(undefined, undefined)).toBeUndefined();
  });
});

describe('asTransient and cassandraFailure', () => {
  it('wraps what a service throws, naming what was being done', () => {
    const wrapped = asTransient(
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      'reading s3://b/k',
    );
    expect(wrapped).toBeInstanceOf(TransientError);
    expect((wrapped as Error).message).toBe('reading s3://b/k: socket hang up');
  });

  it('leaves typed errors, a changed object and programming errors as they are', () => {
    for (const err of [
      new InputError('x'),
      new LeaseLostError(),
      new ObjectChangedError('s3://b/k'),
      new TypeError('x'),
    ])
      expect(asTransient(err, 'doing')).toBe(err);
  });

  it('takes what the cluster refuses every time as a defect, and its failures to wait out as transient', () => {
    const refused = new errors.ResponseError(
      types.responseErrorCodes.invalid,
      'Undefined column name lease_owner',
    );
    expect(failureKindOf(cassandraFailure(refused, 'ledger: write'))).toBe('defect');
    expect(failureKindOf(cassandraFailure(new errors.ArgumentError('bad value'), 'writing plays'))).toBe(
      'defect',
    );
    for (const code of [
      'writeFailure',
      'readFailure',
      'serverError',
      'writeTimeout',
      'overloaded',
    ] as const) {
      const err = new errors.ResponseError(types.responseErrorCodes[code], code);
      expect(failureKindOf(cassandraFailure(err, 'writing plays'))).toBe('transient');
    }
    expect(failureKindOf(cassandraFailure(new errors.NoHostAvailableError({}), 'writing plays'))).toBe(
      'transient',
    );
  });
});
