// A fixed number of writes in flight. acquire() waits while the window is full, which is what
// pauses parsing (and, through the stream pipeline, reading) until a write completes.
export class Window {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  /** Highest number of slots ever held at once. */
  peak = 0;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1)
      throw new Error(`window size must be a positive integer, got ${size}`);
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
      // The releasing writer hands its slot straight to us, so `active` stays the same.
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

  /** Resolves when nothing is in flight. */
  idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
