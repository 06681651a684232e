// The one concurrency limiter of the project: at most `size` tasks hold a slot at once, and a task
// that wants one waits (which is how the ingest pauses parsing and reading while its writes are in
// flight). runLimited() runs a list of tasks through it, for the upload tools and the local
// forwarder's polling loops.

export class ConcurrencyLimit {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  /** Highest number of slots ever held at once. */
  peak = 0;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1)
      throw new Error(`a concurrency limit must be a positive integer, got ${size}`);
  }

  /** Takes a slot if one is free, without waiting (the common case on the hot path). */
  tryAcquire(): boolean {
    if (this.active >= this.size || this.waiting.length > 0) return false;
    this.active++;
    if (this.active > this.peak) this.peak = this.active;
    return true;
  }

  async acquire(): Promise<void> {
    if (this.active < this.size) {
      this.active++;
    } else {
      // The releasing task hands its slot straight to us, so `active` stays the same.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    if (this.active > this.peak) this.peak = this.active;
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) {
      next();
      return;
    }
    this.active--;
    if (this.active === 0) {
      for (const resolve of this.idleWaiters) resolve();
      this.idleWaiters = [];
    }
  }

  /** Resolves when nothing holds a slot. */
  idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}

/**
 * Runs task(0) … task(count - 1), at most `concurrency` at once, in order of start. The first
 * failure stops new tasks from starting; it is thrown once the running ones have settled.
 */
export async function runLimited(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  const limit = new ConcurrencyLimit(Math.max(1, Math.min(concurrency, count)));
  let failure: { err: unknown } | undefined;
  for (let index = 0; index < count && !failure; index++) {
    await limit.acquire();
    if (failure) {
      limit.release();
      break;
    }
    task(index).then(
      () => limit.release(),
      (err: unknown) => {
        failure ??= { err };
        limit.release();
      },
    );
  }
  await limit.idle();
  if (failure) throw failure.err;
}
