import { errors, types } from 'cassandra-driver';
import {
  DEFAULT_RETRY_BASE_MS,
  DEFAULT_RETRY_MAX_DELAY_MS,
  isTransient,
  maxBackoffMs,
  withRetry,
} from '../../../lib/cassandra/retry';
import { DEFAULT_INGEST_MAX_RETRIES } from '../../../lib/config';

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

describe('the default retry budget', () => {
  /** A clock that only moves when the retry loop sleeps; an outage ends at a given time. */
  function outage(untilMs: number, random: () => number) {
    let now = 0;
    const delays: number[] = [];
    const run = withRetry(
      async () => {
        if (now < untilMs) throw new errors.OperationTimedOutError('node restarting');
        return now;
      },
      {
        maxRetries: DEFAULT_INGEST_MAX_RETRIES,
        onRetry: (_e, _a, d) => delays.push(d),
        sleep: async (ms) => {
          now += ms;
        },
        random,
      },
    );
    return { run, delays };
  }

  it('doubles from the base with full jitter and caps each delay', async () => {
    const { run, delays } = outage(Number.POSITIVE_INFINITY, () => 1);
    await expect(run).rejects.toThrow('node restarting');
    expect(delays).toEqual([200, 400, 800, 1600, 3200, 6400, 10_000, 10_000]);
    expect(delays.every((d) => d <= DEFAULT_RETRY_MAX_DELAY_MS)).toBe(true);
    expect(delays[0]).toBe(DEFAULT_RETRY_BASE_MS);
  });

  it('draws each delay uniformly below its ceiling', async () => {
    const draws = [0, 0.5, 0.25, 0.999];
    const { run, delays } = outage(Number.POSITIVE_INFINITY, () => draws.shift() ?? 0.5);
    await expect(run).rejects.toThrow();
    expect(delays.slice(0, 4)).toEqual([0, 200, 200, 1598]);
  });

  it('waits out a node that is away for half a minute', async () => {
    expect(maxBackoffMs(DEFAULT_INGEST_MAX_RETRIES)).toBe(32_600);
    const { run, delays } = outage(30_000, () => 1);
    await expect(run).resolves.toBeGreaterThanOrEqual(30_000);
    expect(delays).toHaveLength(8);
  });

  it('with every jitter at its mean still waits out a 15-second outage', async () => {
    const { run } = outage(15_000, () => 0.5);
    await expect(run).resolves.toBeGreaterThanOrEqual(15_000);
  });

  it('gives up, rather than waiting forever, on an outage longer than the budget', async () => {
    const { run, delays } = outage(40_000, () => 1);
    await expect(run).rejects.toThrow('node restarting');
    expect(delays.reduce((a, b) => a + b, 0)).toBe(32_600);
  });
});
