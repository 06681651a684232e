import { ConcurrencyLimit, runLimited } from '../../lib/concurrency';

const tick = () => new Promise((r) => setImmediate(r));

describe('ConcurrencyLimit', () => {
  it('lets `size` holders in and makes the next one wait until a slot is released', async () => {
    const limit = new ConcurrencyLimit(2);
    expect(limit.tryAcquire()).toBe(true);
    await limit.acquire();
    expect(limit.tryAcquire()).toBe(false);
    let third = false;
    const waiting = limit.acquire().then(() => {
      third = true;
    });
    await tick();
    expect(third).toBe(false);
    limit.release();
    await waiting;
    expect(third).toBe(true);
    expect(limit.peak).toBe(2);
  });

  it('does not let tryAcquire jump ahead of a waiter', async () => {
    const limit = new ConcurrencyLimit(1);
    await limit.acquire();
    const waiting = limit.acquire();
    limit.release(); // handed to the waiter, not freed
    expect(limit.tryAcquire()).toBe(false);
    await waiting;
  });

  it('resolves idle() once nothing holds a slot', async () => {
    const limit = new ConcurrencyLimit(3);
    await limit.acquire();
    await limit.acquire();
    let idle = false;
    const done = limit.idle().then(() => {
      idle = true;
    });
    limit.release();
    await tick();
    expect(idle).toBe(false);
    limit.release();
    await done;
    expect(idle).toBe(true);
  });

  it.each([0, -1, 1.5])('refuses a size of %d', (size) => {
    expect(() => new ConcurrencyLimit(size)).toThrow(/positive integer/);
  });
});

describe('runLimited', () => {
  it('runs every task, never more than `concurrency` at once', async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await runLimited(10, 3, async (i) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5 + (i % 3)));
      running--;
      done.push(i);
    });
    expect(done.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(peak).toBe(3);
  });

  it('starts nothing new after the first failure and throws it once the running tasks settle', async () => {
    const started: number[] = [];
    let settled = 0;
    const run = runLimited(10, 2, async (i) => {
      started.push(i);
      await new Promise((r) => setTimeout(r, 5));
      settled++;
      if (i === 1) throw new Error('upload 1 failed');
    });
    await expect(run).rejects.toThrow('upload 1 failed');
    expect(settled).toBe(started.length);
    expect(started.length).toBeLessThan(10);
  });
});
