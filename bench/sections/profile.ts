// CPU profiles of ours and of the ceiling on the same 200,000-event sample (unminified bundles, only
// the timed part profiled): where ours spends more.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildBundles, outDir } from '../build';
import type { BenchContext } from '../context';
import { dataset } from '../data';
import { summarizeProfile } from '../profile';
import { round } from '../stats';

export async function profileGap(ctx: BenchContext): Promise<void> {
  const bundles = await buildBundles(true);
  const dir = join(outDir, 'profiles');
  const sample = await dataset(outDir, 200_000, 'profile', ctx.log);
  const key = await ctx.upload(sample.eventsFile, 'bench/profile/');
  const concurrency = ctx.cfg.ingest.concurrency;
  // The runners start V8's profiler around the timed part when BENCH_PROFILE names a file, so the
  // ceiling's loading of its pre-parsed plays and ours' warm-up are not counted.
  const profiled = async (name: string, script: string, args: string[]) => {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${name}.cpuprofile`);
    rmSync(file, { force: true });
    await ctx.reset();
    const r = await ctx.runNode<{ wallMs: number; cpuMs: number }>(script, args, {
      env: { BENCH_PROFILE: file },
    });
    return {
      wallMs: round(r.wallMs),
      cpuMs: round(r.cpuMs),
      cpuMicrosPerPlay: round((r.cpuMs * 1000) / sample.plays, 1),
      selfMs: summarizeProfile(file),
    };
  };
  ctx.log('profile: ours on 200,000 events (unminified bundle)');
  const ours = await profiled('ours', bundles['runner-ours'], [ctx.bucket, key, ctx.keys.warmup]);
  ctx.log(`profile: the ceiling on the same plays (batched, concurrency ${concurrency} as the ingest)`);
  const ceiling = await profiled('ceiling', bundles['runner-ceiling'], [
    sample.playsFile,
    String(concurrency),
    '0',
    'batched',
  ]);
  ctx.results.profile = { sampleEvents: sample.events, samplePlays: sample.plays, ours, ceiling };
}
