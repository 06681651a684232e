// Read latency of the three queries, three ways, on the data ours loaded: the raw driver, the bundled
// handlers called in-process, and HTTP through serverless offline. Offline runs here; the rounds run
// in a process of their own (runners/reads.ts), so the handlers read their config from that
// process's environment, the bench's, as every runner does.
import { startOffline } from '../../scripts/local/offline';
import type { BenchContext } from '../context';
import type { LatencyResult } from '../reads';

export async function readLatency(ctx: BenchContext): Promise<void> {
  ctx.log('reads: starting serverless offline');
  const offline = await startOffline({ env: ctx.env, name: 'bench' });
  try {
    const { results } = await ctx.runNode<{ results: LatencyResult[] }>(ctx.bundles['runner-reads'], [
      ctx.data.playsFile,
      String(ctx.args.readRequests),
      String(ctx.args.repeats),
      offline.baseUrl,
      ctx.bundles.getSessionItem,
      ctx.bundles.getUserSessionSongs,
      ctx.bundles.getListeners,
    ]);
    ctx.results.reads.push(...results);
  } finally {
    await offline.stop();
  }
}
