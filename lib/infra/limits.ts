// The abuse limits of a deployed stage: how fast the HTTP API takes requests, and how many
// instances of each function may run at once. A flood of requests is refused by the gateway (429)
// before it reaches a function; what still comes cannot take more than its functions' share of the
// account's Lambda concurrency, and the ingest keeps its own share whatever the API does.
//
// The defaults (serverless.yml params) and their sum, within a default account's 1000 concurrent
// executions, of which Lambda keeps 100 unreserved for the account's other functions:
//   ingest          4  = the queue's maximumConcurrency: every object the queue may hand over at
//                        once has an instance reserved, and the cluster sees no more writers;
//   sweep           1  = one sweep at a time (every 15 minutes, 300 s timeout), sure to run;
//   5 HTTP functions × 20 = 100: a read is one single-partition select of milliseconds, so 20 take
//                        hundreds of requests a second each; a slow database (a read may take 9 s,
//                        serverless.yml apiRequestTimeoutMs) then costs at most 20 instances each;
//   total 105 of the 900 an account may reserve.
// The stage's 50 requests a second (bursts of 100) is far above what a dashboard asks and far below
// what the functions' share could serve; raise it with the functions' share.
import type { FunctionName, StackOptions } from './names';

/** A default account's concurrent executions, and what Lambda keeps unreserved of them. */
export const ACCOUNT_CONCURRENCY = 1000;
export const UNRESERVED_MINIMUM = 100;

/** The sweep runs one at a time: its schedule never needs two. */
const SWEEP_CONCURRENCY = 1;

export interface ConcurrencyOptions {
  /** The ingest's reserved concurrency, and the queue's maximumConcurrency (SQS takes 2 to 1000). */
  ingestConcurrency: number;
  /** The reserved concurrency, a cap as much as a share, of each function behind the HTTP API. */
  apiConcurrency: number;
}

/**
 * Each function's reservedConcurrency. The ingest's equals the queue's maximumConcurrency, as AWS
 * advises: fewer, and the queue would hand messages to a throttled function, which comes back
 * after the 90-minute visibility timeout and counts towards the dead-letter queue.
 */
export function reservedConcurrency(opts: ConcurrencyOptions): Record<FunctionName, number> {
  return {
    ingest: opts.ingestConcurrency,
    sweep: SWEEP_CONCURRENCY,
    getSessionItem: opts.apiConcurrency,
    getUserSessionSongs: opts.apiConcurrency,
    getListeners: opts.apiConcurrency,
    getIngests: opts.apiConcurrency,
    notFound: opts.apiConcurrency,
  };
}

/**
 * The HTTP API stage's throttling, as a `resources.extensions` override of the HttpApiStage osls
 * generates (its httpApi config has no throttle setting). It replaces DefaultRouteSettings whole:
 * were provider.httpApi.metrics ever set, its DetailedMetricsEnabled would have to be repeated here.
 */
export function stageThrottling(opts: Pick<StackOptions, 'apiThrottleRateLimit' | 'apiThrottleBurstLimit'>) {
  return {
    HttpApiStage: {
      Properties: {
        DefaultRouteSettings: {
          ThrottlingRateLimit: opts.apiThrottleRateLimit,
          ThrottlingBurstLimit: opts.apiThrottleBurstLimit,
        },
      },
    },
  };
}
