import { errors, types } from 'cassandra-driver';
import { isTransient, withRetry } from '../../../lib/cassandra/retry';

const overloaded = () => new errors.ResponseError(types.responseErrorCodes.overloaded, 'Overloaded');
const syntax = () =>
  new errors.ResponseError(types.responseErrorCodes.syntaxError, 'line 1: no viable alternative');

describe('isTransient', () => {
  it.each([
    ['a write timeout', new errors.ResponseError(types.responseErrorCodes.writeTimeout, 'timeout'), true],
    [
      'unavailable',
      new errors.ResponseError(types.responseErrorCodes.unavailableException, 'unavailable'),
      true,
    ],
    ['overloaded', overloaded(), true],
    ['a client-side timeout', new errors.OperationTimedOutError('timed out'), true],
    ['no host available', new errors.NoHostAvailableError({}), true],
    ['a syntax error', syntax(), false],
    ['a plain error', new Error('bug'), false],
  ])('treats %s as %s', (_name, err, transient) => {
    expect(isTransient(err)).toBe(transient);
  });
});

describe('withRetry', () => {
  const instant = { sleep: async () => undefined, random: () => 1 };

  it('retries transient errors with growing delays until the operation succeeds', async () => {
    const delays: number[] = [];
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        if (calls < 4) throw overloaded();
        return 'ok';
      },
      { maxRetries: 5, baseDelayMs: 10, onRetry: (_e, _a, d) => delays.push(d), ...instant },
    );
    expect(result).toBe('ok');
    expect(delays).toEqual([10, 20, 40]);
  });

  it('gives up after maxRetries and throws the last error', async () => {
    let calls = 0;
    const attempt = withRetry(
      async () => {
        calls++;
        throw overloaded();
      },
      { maxRetries: 2, ...instant },
    );
    await expect(attempt).rejects.toThrow('Overloaded');
    expect(calls).toBe(3);
  });

  it('does not retry an error that will not go away', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw syntax();
        },
        { maxRetries: 5, ...instant },
      ),
    ).rejects.toThrow('no viable alternative');
    expect(calls).toBe(1);
  });

  it('caps the delay', async () => {
    const delays: number[] = [];
    let calls = 0;
    await withRetry(
      async () => {
        if (++calls < 10) throw overloaded();
      },
      {
        maxRetries: 10,
        baseDelayMs: 100,
        maxDelayMs: 1000,
        onRetry: (_e, _a, d) => delays.push(d),
        ...instant,
      },
    );
    expect(Math.max(...delays)).toBe(1000);
  });
});
