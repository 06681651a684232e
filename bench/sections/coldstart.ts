// Each deployed handler's bundle size and cold start, in fresh Node processes: module load (what
// Lambda reports as Init Duration), first invocation (connects, prepares) and a warm second one.
// Medians of five starts. Needs the data ours loaded (the API events ask for existing plays).
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { SCOPES } from '../../lib/auth';
import { writeEventFiles } from '../../scripts/generate/index';
import { uploadedEvent } from '../../scripts/local/lambda-events';
import { localAuthorization } from '../../scripts/stack/issuer';
import { outDir } from '../build';
import type { BenchContext } from '../context';
import { apiEvent, type Query, type Request, sampleRequests } from '../reads';
import type { HandlerStart } from '../report';
import { round, spread } from '../stats';

const STARTS = 5;

type Handler = 'getSessionItem' | 'getUserSessionSongs' | 'getListeners' | 'ingest';
interface Start {
  initMs: number;
  firstMs: number;
  secondMs: number;
}

export async function coldStarts(ctx: BenchContext): Promise<void> {
  const dir = join(outDir, 'coldstart');
  mkdirSync(dir, { recursive: true });
  const eventFile = (name: string, event: unknown) => {
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(event));
    return file;
  };
  const sample = sampleRequests(ctx.data.playsFile, 1);
  const auth = await localAuthorization([SCOPES.read]);
  const api = (q: Query) => eventFile(q, apiEvent(sample[q][0] as Request, auth));
  const tiny = (await writeEventFiles({ outDir: join(dir, 'data'), events: 200, seed: 'coldstart' }))
    .files[0];
  const cases: { name: Handler; events: (run: number) => Promise<[string, string]> }[] = [
    { name: 'getSessionItem', events: async () => [api('q1'), api('q1')] },
    { name: 'getUserSessionSongs', events: async () => [api('q2'), api('q2')] },
    { name: 'getListeners', events: async () => [api('q3'), api('q3')] },
    {
      name: 'ingest',
      // A new 200-event object per start (a re-delivered one would be a duplicate, not an ingest).
      events: async (run) => {
        const [a, b] = [
          await ctx.upload(tiny?.path ?? '', `bench/cold/${run}-a/`),
          await ctx.upload(tiny?.path ?? '', `bench/cold/${run}-b/`),
        ];
        return [
          eventFile(`ingest-${run}-a`, uploadedEvent(ctx.bucket, a)),
          eventFile(`ingest-${run}-b`, uploadedEvent(ctx.bucket, b)),
        ];
      },
    },
  ];
  for (const c of cases) {
    const bundle = ctx.bundles[c.name];
    const runs: Start[] = [];
    for (let run = 0; run < STARTS; run++) {
      const [first, second] = await c.events(run);
      runs.push(await ctx.runNode<Start>(ctx.bundles['runner-coldstart'], [bundle, first, second]));
    }
    const med = (k: keyof Start) => round(spread(runs.map((r) => r[k])).median, 1);
    const entry: HandlerStart = {
      handler: c.name,
      bundleKb: round(statSync(bundle).size / 1024, 0),
      bundleGzipKb: round(gzipSync(readFileSync(bundle)).length / 1024, 0),
      initMs: med('initMs'),
      firstInvokeMs: med('firstMs'),
      warmInvokeMs: med('secondMs'),
      starts: STARTS,
    };
    ctx.results.handlers.push(entry);
    ctx.log(
      `cold start: ${c.name} bundle ${entry.bundleKb} KB (${entry.bundleGzipKb} KB gzipped), init ${entry.initMs} ms, ` +
        `first invocation ${entry.firstInvokeMs} ms, warm ${entry.warmInvokeMs} ms`,
    );
  }
}
