import { TokenBucket } from '../../lib/rate-limit';

/** A clock that moves only when the bucket sleeps. */
function clocked(rate: number) {
  const clock = { now: 0 };
  const bucket = new TokenBucket(
    rate,
    () => clock.now,
    async (ms) => {
      clock.now += ms;
    },
  );
  return { bucket, clock };
}

describe('TokenBucket', () => {
  it("lets a second's worth through at once, then paces to the rate", async () => {
    const { bucket, clock } = clocked(100);
    for (let i = 0; i < 10; i++) await bucket.take(10);
    expect(clock.now).toBe(0);
    for (let i = 0; i < 30; i++) await bucket.take(10);
    // 300 more tokens at 100 a second: 3 seconds.
    expect(clock.now).toBeGreaterThanOrEqual(3000);
    expect(clock.now).toBeLessThanOrEqual(3010);
  });

  it('holds the average to the rate over a long run of uneven requests', async () => {
    const { bucket, clock } = clocked(4000);
    let taken = 0;
    for (let i = 0; i < 2000; i++) {
      const n = 1 + (i % 30);
      await bucket.take(n);
      taken += n;
    }
    // The first second's burst is free; the rest at 4,000 a second.
    expect(clock.now).toBeGreaterThanOrEqual(((taken - 4000) / 4000) * 1000 - 1);
    expect(clock.now).toBeLessThanOrEqual(((taken - 4000) / 4000) * 1000 + 50);
  });

  it('serves requests in order, a big one included', async () => {
    const { bucket } = clocked(10);
    const order: number[] = [];
    await Promise.all([
      bucket.take(10).then(() => order.push(1)),
      bucket.take(25).then(() => order.push(2)),
      bucket.take(1).then(() => order.push(3)),
    ]);
    expect(order).toEqual([1, 2, 3]);
  });

  it.each([0, -5, Number.NaN])('refuses a rate of %d', (rate) => {
    expect(() => new TokenBucket(rate)).toThrow(/positive/);
  });
});
