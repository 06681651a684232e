import { errors, types } from 'cassandra-driver';
import {
  DEFAULT_RETRY_BASE_MS,
  DEFAULT_RETRY_MAX_DELAY_MS,
  isTransient,
  withRetry,
} from '../../../lib/cassandra/retry';
import { DEFAULT_INGEST_RETRY_BUDGET_MS } from '../../../lib/config';

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

/** A clock that only moves when the retry loop sleeps. */
function virtualClock() {
  const clock = { now: 0 };
  return {
    clock,
    sleep: async (ms: number) => {
      clock.now += ms;
    },
    now: () => clock.now,
  };
}

describe('withRetry', () => {
  it('retries transient errors with growing delays until the operation succeeds', async () => {
    const delays: number[] = [];
    let calls = 0;
    const { sleep, now } = virtualClock();
    const result = await withRetry(
      async () => {
        calls++;
        if (calls < 4) throw overloaded();
        return 'ok';
      },
      {
        budgetMs: 60_000,
        baseDelayMs: 10,
        onRetry: (_e, _a, d) => delays.push(d),
        sleep,
        now,
        random: () => 1,
      },
    );
    expect(result).toBe('ok');
    expect(delays).toEqual([10, 20, 40]);
  });

  it('gives up when the next wait would pass the budget, and throws the last error', async () => {
    const { sleep, now, clock } = virtualClock();
    const attempt = withRetry(
      async () => {
        throw overloaded();
      },
      { budgetMs: 1000, sleep, now, random: () => 1 },
    );
    await expect(attempt).rejects.toThrow('Overloaded');
    // 200 + 400 = 600 ms waited; the next wait (800 ms) would end past the 1 s budget.
    expect(clock.now).toBe(600);
  });

  it('never starts a retry after giveUpAt, even within the budget', async () => {
    const { sleep, now, clock } = virtualClock();
    const attempt = withRetry(
      async () => {
        throw overloaded();
      },
      { budgetMs: 60_000, giveUpAt: 700, sleep, now, random: () => 1 },
    );
    await expect(attempt).rejects.toThrow('Overloaded');
    expect(clock.now).toBe(600);
  });

  it('does not retry an error that will not go away', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw syntax();
        },
        { budgetMs: 60_000, ...virtualClock() },
      ),
    ).rejects.toThrow('no viable alternative');
    expect(calls).toBe(1);
  });
});

describe('the default retry budget', () => {
  /** An outage that ends at a given time on the virtual clock. */
  function outage(untilMs: number, random: () => number) {
    const { sleep, now, clock } = virtualClock();
    const delays: number[] = [];
    const run = withRetry(
      async () => {
        if (clock.now < untilMs) throw new errors.OperationTimedOutError('node restarting');
        return clock.now;
      },
      {
        budgetMs: DEFAULT_INGEST_RETRY_BUDGET_MS,
        onRetry: (_e, _a, d) => delays.push(d),
        sleep,
        now,
        random,
      },
    );
    return { run, delays, clock };
  }

  it('doubles from the base with full jitter and caps each delay', async () => {
    const { run, delays } = outage(Number.POSITIVE_INFINITY, () => 1);
    await expect(run).rejects.toThrow('node restarting');
    expect(delays.slice(0, 9)).toEqual([200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000]);
    expect(delays.every((d) => d <= DEFAULT_RETRY_MAX_DELAY_MS)).toBe(true);
    expect(delays[0]).toBe(DEFAULT_RETRY_BASE_MS);
  });

  it('draws each delay uniformly below its ceiling', async () => {
    const draws = [0, 0.5, 0.25, 0.999];
    const { run, delays } = outage(Number.POSITIVE_INFINITY, () => draws.shift() ?? 0.5);
    await expect(run).rejects.toThrow();
    expect(delays.slice(0, 4)).toEqual([0, 200, 200, 1598]);
  });

  it('waits out a node that is away for half a minute, whatever the jitter', async () => {
    for (const jitter of [1, 0.5, 0.1]) {
      const { run } = outage(30_000, () => jitter);
      await expect(run).resolves.toBeGreaterThanOrEqual(30_000);
    }
  });

  it('gives up, rather than waiting forever, on an outage longer than the budget', async () => {
    const { run, clock } = outage(Number.POSITIVE_INFINITY, () => 1);
    await expect(run).rejects.toThrow('node restarting');
    expect(clock.now).toBeLessThanOrEqual(DEFAULT_INGEST_RETRY_BUDGET_MS);
    expect(clock.now).toBeGreaterThan(DEFAULT_INGEST_RETRY_BUDGET_MS - DEFAULT_RETRY_MAX_DELAY_MS);
  });
});
