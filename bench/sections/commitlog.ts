// What durability costs: the same ingest (ours: the bundled handler, the same object in LocalStack)
// on the local node started under each commit-log sync mode. `periodic` acknowledges a write before
// its commit-log segment is synced, and a node killed replays only up to the last sync (every 10 s);
// `group` and `batch` acknowledge a write only once the segment holding it is synced: `group` syncs
// at most every window, `batch` as soon as writes wait. The node is restarted with each mode (its
// cassandra.yaml generated with the mode's settings, read back from system_views.settings), warmed
// up with one unmeasured ingest of the warm-up object, and loaded once; the modes run in a rotated
// order each round, and each run is compared with the same round's periodic run. Only run when named
// (`--only commitlog`): it restarts the node, and leaves it started with the project's own file.
import { startedWithDocker } from '../../scripts/stack/docker';
import { startNode, stopNode } from '../../scripts/stack/index';
import type { BenchContext } from '../context';
import { processCpuSplitMs } from '../cpu';
import type { CommitlogMode, CommitlogRun } from '../report';
import { perSec, round, spread } from '../stats';
import type { OursRun } from './ours';

type YamlSettings = Record<string, string | null>;

/**
 * Every mode sets the same four settings (Cassandra 5.0 refuses a period beside group or batch). The
 * commit log is written through mmap unless a mode says `direct` (5.0's direct I/O, off by default:
 * `commitlog_disk_access_mode: legacy` while storage_compatibility_mode is 4).
 */
const modeSettings = (
  sync: 'periodic' | 'group' | 'batch',
  window: string | null,
  access: 'legacy' | 'direct' = 'legacy',
): YamlSettings => ({
  commitlog_sync: sync,
  commitlog_sync_period: sync === 'periodic' ? '10000ms' : null,
  commitlog_sync_group_window: sync === 'group' ? window : null,
  commitlog_disk_access_mode: access,
});
const MODES: { mode: string; settings: YamlSettings }[] = [
  { mode: 'periodic 10 s', settings: modeSettings('periodic', null) },
  { mode: 'group 15 ms', settings: modeSettings('group', '15ms') },
  { mode: 'group 2 ms', settings: modeSettings('group', '2ms') },
  { mode: 'batch', settings: modeSettings('batch', null) },
  { mode: 'group 15 ms, direct I/O', settings: modeSettings('group', '15ms', 'direct') },
  { mode: 'batch, direct I/O', settings: modeSettings('batch', null, 'direct') },
];
const PERIODIC = 'periodic 10 s';

/** The commit-log settings as the running node has them (system_views.settings). */
async function nodeSettings(ctx: BenchContext): Promise<YamlSettings> {
  const names = [
    'commitlog_sync',
    'commitlog_sync_period',
    'commitlog_sync_group_window',
    'commitlog_disk_access_mode',
  ];
  const rs = await ctx.client.execute('SELECT name, value FROM system_views.settings');
  const out: YamlSettings = {};
  for (const name of names) {
    const row = rs.rows.find((r) => r.get('name') === name);
    out[name] = (row?.get('value') as string | null | undefined) ?? null;
  }
  return out;
}

/** Stops node 1 (it drains) and starts it with these settings over the project's file (none: as is). */
async function restart(ctx: BenchContext, settings: YamlSettings | undefined): Promise<void> {
  await ctx.reconnectAround(async () => {
    await stopNode(ctx.stack, 1);
    await startNode({ ...ctx.stack, ...(settings ? { cassandraYaml: settings } : {}) }, 1);
  });
}

export async function commitlog(ctx: BenchContext): Promise<void> {
  const { args, data } = ctx;
  if (ctx.stack.externalCassandra !== undefined || ctx.cassandraPid === undefined) {
    ctx.log('commitlog: skipped (it restarts the local node this stack started on the host, once per mode)');
    return;
  }
  if (startedWithDocker(ctx.stack, 'cassandra')) {
    ctx.log('commitlog: skipped (the node runs in Docker, with the image’s own configuration)');
    return;
  }
  const runs: CommitlogRun[] = [];
  const nodeSays = new Map<string, YamlSettings>();
  const order: string[][] = [];
  try {
    for (let n = 1; n <= args.repeats; n++) {
      const rotated = MODES.map((_, i) => MODES[(i + n - 1) % MODES.length] as (typeof MODES)[number]);
      order.push(rotated.map((m) => m.mode));
      const thisRound: Omit<CommitlogRun, 'ratioToPeriodic'>[] = [];
      for (const { mode, settings } of rotated) {
        ctx.log(`commitlog: round ${n}/${args.repeats}, ${mode}: restarting the node`);
        await restart(ctx, settings);
        const says = await nodeSettings(ctx);
        if (
          says.commitlog_sync !== settings.commitlog_sync ||
          says.commitlog_disk_access_mode !== settings.commitlog_disk_access_mode
        )
          throw new Error(`commitlog: the node runs ${JSON.stringify(says)}, not ${mode}`);
        nodeSays.set(mode, says);
        // A node just started compiles its write path during its first loads: one unmeasured ingest.
        await ctx.reset();
        await ctx.runNode(ctx.bundles['runner-ours'], [ctx.bucket, ctx.keys.warmup]);
        await ctx.reset();
        const pid = ctx.cassandraPid;
        const before = pid !== undefined ? processCpuSplitMs(pid) : undefined;
        const r = await ctx.measure(() =>
          ctx.runNode<OursRun & { report: { writeRetries?: number } }>(ctx.bundles['runner-ours'], [
            ctx.bucket,
            ctx.keys.events,
          ]),
        );
        const after = pid !== undefined ? processCpuSplitMs(pid) : undefined;
        if (r.report.status !== 'completed' || r.report.rowsWritten !== data.plays)
          throw new Error(`commitlog: ours did not complete under ${mode}: ${JSON.stringify(r.report)}`);
        const run = {
          round: n,
          mode,
          wallMs: round2(r.wallMs),
          playsPerSec: round(perSec(data.plays, r.wallMs)),
          cpuMs: round2(r.cpuMs),
          cassandraCpuMs: round2(r.cassandraCpuMs),
          cassandraSystemCpuMs: before && after ? round2(after.systemMs - before.systemMs) : Number.NaN,
          writeRetries: r.report.writeRetries ?? 0,
        };
        ctx.log(
          `commitlog: ${mode}: ${Math.round(run.playsPerSec).toLocaleString()} plays/s, Cassandra ` +
            `${((run.cassandraCpuMs * 1000) / data.plays).toFixed(1)} µs CPU/play ` +
            `(${((run.cassandraSystemCpuMs * 1000) / data.plays).toFixed(1)} of it system), ${run.writeRetries} write retries`,
        );
        thisRound.push(run);
      }
      const periodic = thisRound.find((r) => r.mode === PERIODIC)?.playsPerSec ?? Number.NaN;
      for (const r of thisRound) runs.push({ ...r, ratioToPeriodic: round(r.playsPerSec / periodic, 3) });
    }
  } finally {
    ctx.log('commitlog: restarting the node with the project’s own cassandra.yaml');
    await restart(ctx, undefined);
  }
  const perPlay = (ms: number) => (ms * 1000) / data.plays;
  const modes: CommitlogMode[] = MODES.map(({ mode, settings }) => {
    const mine = runs.filter((r) => r.mode === mode);
    return {
      mode,
      settings,
      nodeSays: nodeSays.get(mode) ?? {},
      playsPerSec: spread(mine.map((r) => r.playsPerSec)),
      ratioToPeriodic: spread(mine.map((r) => r.ratioToPeriodic)),
      loaderCpuUsPerPlay: spread(mine.map((r) => perPlay(r.cpuMs))),
      cassandraCpuUsPerPlay: spread(mine.map((r) => perPlay(r.cassandraCpuMs))),
      cassandraSystemCpuUsPerPlay: spread(mine.map((r) => perPlay(r.cassandraSystemCpuMs))),
    };
  });
  for (const m of modes)
    ctx.log(
      `commitlog: ${m.mode}: ${Math.round(m.playsPerSec.median).toLocaleString()} plays/s (runs ${m.playsPerSec.runs.map(Math.round).join(', ')}), ` +
        `${m.ratioToPeriodic.median.toFixed(2)} × periodic, Cassandra ${m.cassandraCpuUsPerPlay.median.toFixed(1)} µs CPU/play`,
    );
  ctx.results.commitlog = { plays: data.plays, rounds: args.repeats, order, modes, runs };
}

const round2 = (n: number) => round(n, 2);
