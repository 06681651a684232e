// A token bucket: at most `ratePerSecond` units a second on average, in bursts of at most one
// second's worth. The ingest takes one token per row it writes to a table, so a bulk load stays
// under what a table (Amazon Keyspaces' on-demand capacity, say) accepts, instead of being
// throttled and retried.

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  /** Tokens are handed out in order: a large request does not starve behind small ones. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly ratePerSecond: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    if (!(ratePerSecond > 0)) throw new Error(`a rate must be positive, got ${ratePerSecond}`);
    this.tokens = ratePerSecond;
    this.updatedAt = now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(
      this.ratePerSecond,
      this.tokens + ((t - this.updatedAt) * this.ratePerSecond) / 1000,
    );
    this.updatedAt = t;
  }

  /** Resolves once n tokens are taken; a request bigger than a burst is let through once the bucket is full. */
  take(n: number): Promise<void> {
    const turn = this.queue.then(async () => {
      const want = Math.min(n, this.ratePerSecond);
      for (this.refill(); this.tokens < want; this.refill())
        await this.sleep(Math.ceil(((want - this.tokens) * 1000) / this.ratePerSecond));
      this.tokens -= n;
    });
    this.queue = turn;
    return turn;
  }
}
