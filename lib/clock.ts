// Time as the ingest sees it: now, and waiting. One seam for every decision that depends on time
// (leases, part deadlines, retry backoff), so the lifecycle simulator (test/sim/) can run the real
// code on a virtual clock, skewed per invocation, and replay a run exactly from its seed.
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
};
