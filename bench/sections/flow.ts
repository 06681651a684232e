// Upload to queryable, through the whole local event flow (LocalStack bucket → ObjectCreated → SQS
// → forwarder → the ingest under serverless offline → Cassandra → the HTTP API): from the start of
// the upload until GET /sessions/{id}/items/{n} answers 200 for the file's last play.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { SCOPES } from '../../lib/auth';
import type { Play } from '../../lib/events/event';
import { stackNames } from '../../lib/infra/names';
import { createLogger } from '../../lib/log';
import { writeEventFiles } from '../../scripts/generate/index';
import { type FlowOptions, type RunningFlow, startLocalFlow } from '../../scripts/local/flow';
import { putFiles, type Uploaded } from '../../scripts/local/put-files';
import { localAuthorization } from '../../scripts/stack/issuer';
import { LOCALSTACK_URL } from '../../scripts/stack/settings';
import { outDir, repo } from '../build';
import { type BenchContext, KEYSPACE } from '../context';
import { playsIn } from '../data';
import { spread } from '../stats';

const QUERYABLE_WITHIN_MS = 120_000;

/** The real event logs, when this machine has them (never copied into the repository). */
function realDataFile(ctx: BenchContext): string | undefined {
  const dir = ctx.env.TRACKLOG_REAL_DATA_DIR ?? join(repo, '..', 'shared', 'data', 'event_data');
  if (!existsSync(dir)) return undefined;
  // The busiest day: the largest file.
  return readdirSync(dir)
    .filter((f) => f.endsWith('.csv'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size)[0];
}

/** The last play of a log (the one that becomes queryable last). */
async function lastPlay(file: string): Promise<Play | undefined> {
  let last: Play | undefined;
  for await (const p of playsIn(file)) last = p;
  return last;
}

/**
 * The local event flow (bucket, queue, forwarder, serverless offline) on the bench's endpoint, region
 * and keyspace, with its own instance name.
 */
export function benchFlow(
  ctx: BenchContext,
  name: string,
  more: Pick<FlowOptions, 'concurrency' | 'ingestEnv'> = {},
): Promise<RunningFlow> {
  return startLocalFlow({
    awsEndpoint: ctx.cfg.aws.endpoint ?? LOCALSTACK_URL,
    region: ctx.cfg.aws.region,
    keyspace: KEYSPACE,
    names: stackNames('tracklog-bench', 'local'),
    log: createLogger('warn', { fn: name }),
    offline: { name },
    ...more,
  });
}

export async function eventFlow(ctx: BenchContext): Promise<void> {
  const real = realDataFile(ctx);
  const file =
    real ??
    (await writeEventFiles({ outDir: join(outDir, 'flow'), events: 500, seed: 'flow' })).files[0]?.path ??
    '';
  const play = await lastPlay(file);
  if (!play) throw new Error(`${file} holds no song play`);
  const running = await benchFlow(ctx, 'bench-flow');
  try {
    const url = `${running.offline.baseUrl}/sessions/${play.sessionId}/items/${play.itemInSession}`;
    const auth = await localAuthorization([SCOPES.read]);
    const ms: number[] = [];
    for (let i = 0; i < ctx.args.repeats; i++) {
      await ctx.reset();
      const started = performance.now();
      const [{ key }] = (await putFiles(running.s3, [file], {
        bucket: running.flow.bucket,
        prefix: `flow/${Date.now()}-${i}/`,
      })) as [Uploaded];
      for (;;) {
        const res = await fetch(url, { headers: auth });
        await res.arrayBuffer();
        if (res.status === 200) break;
        if (performance.now() - started > QUERYABLE_WITHIN_MS)
          throw new Error(`${key} was not queryable after ${QUERYABLE_WITHIN_MS / 1000} s`);
        await new Promise((r) => setTimeout(r, 20));
      }
      ms.push(performance.now() - started);
      ctx.log(
        `event flow: ${basename(file)} queryable ${Math.round(ms[ms.length - 1] ?? 0)} ms after the upload began`,
      );
    }
    ctx.results.flow = {
      file: real ? `real: ${basename(file)}` : `generated: ${basename(file)}`,
      bytes: statSync(file).size,
      uploadToQueryableMs: spread(ms),
    };
  } finally {
    await running.stop();
  }
}
