// npm run stack:up | stack:down | stack:status [-- --nodes N] [--json]; npm run stack:node -- stop|kill|
// start|remove <n>; tsx scripts/stack.ts python (for CI: the Python LocalStack would run with, or exit 1
// saying why there is none).
import {
  type ClusterView,
  clusterHealthy,
  clusterNodes,
  clusterView,
  contactPointsLine,
  formatCluster,
  killNode,
  removeNode,
  runningContactPoints,
  runningNodes,
  runningTlsCaFile,
  startNode,
  stopNode,
  withClusterView,
} from './stack/cluster';
import { parseStackCommand, STACK_USAGE, type StackCommand } from './stack/command-line';
import { formatStates, localStackPython, stackDown, stackStatus, stackUp } from './stack/index';
import type { ServiceState } from './stack/ladder';
import { waitFor } from './stack/probes';
import { readStackSettings, type StackSettings, seconds, stackLog } from './stack/settings';

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The cluster's own view, when this stack has more than one node and one of them runs, or why there is
 * none. `settle`: right after a start, wait (up to 60 s) until the node asked sees every running node
 * up and normal, since gossip takes a moment to bring it the last node's state.
 */
async function clusterReport(s: StackSettings, settle: boolean): Promise<ClusterView | string | undefined> {
  if (s.externalCassandra !== undefined || clusterNodes(s) === 1) return undefined;
  if (runningNodes(s).length === 0) return 'no Cassandra node of this stack is running';
  const settled = async () => {
    const view = await clusterView(s);
    const late = view.members.filter(
      (m) => m.pid !== undefined && (m.status !== 'up' || m.state !== 'normal'),
    );
    if (late.length > 0) throw new Error(`${late.map((m) => m.address).join(', ')} not up and normal yet`);
    return view;
  };
  try {
    if (settle) {
      return await waitFor(settled, { timeoutMs: 60_000, intervalMs: 1000, what: 'the cluster' }).catch(() =>
        clusterView(s),
      );
    }
    return await clusterView(s);
  } catch (err: unknown) {
    return describe(err);
  }
}

function report(
  s: StackSettings,
  states: ServiceState[],
  cluster: ClusterView | string | undefined,
  json: boolean,
): string {
  const view = typeof cluster === 'object' ? cluster : undefined;
  if (json) return JSON.stringify(withClusterView(states, view), null, 2);
  const parts = [formatStates(states)];
  if (view) parts.push('', formatCluster(view));
  else if (typeof cluster === 'string') parts.push('', `Cassandra cluster: ${cluster}`);
  if (cluster !== undefined) parts.push(contactPointsLine(runningContactPoints(s)));
  const caFile = s.externalCassandra === undefined ? runningTlsCaFile(s) : undefined;
  // lib/config.ts turns TLS on when the CA file is set.
  if (caFile !== undefined) parts.push(`CASSANDRA_TLS_CA_FILE=${caFile}`);
  return parts.join('\n');
}

async function nodeCommand(
  s: StackSettings,
  cmd: Extract<StackCommand, { command: 'node' }>,
): Promise<number> {
  const { action, node: n } = cmd;
  const started = Date.now();
  switch (action) {
    case 'stop':
      stackLog(
        (await stopNode(s, n))
          ? `stopped node ${n} (SIGTERM) in ${seconds(Date.now() - started)}`
          : `node ${n} was not running`,
      );
      return 0;
    case 'kill':
      stackLog((await killNode(s, n)) ? `killed node ${n} (SIGKILL)` : `node ${n} was not running`);
      return 0;
    case 'start': {
      const state = await startNode(s, n);
      process.stdout.write(`${report(s, [state], await clusterReport(s, false), cmd.json)}\n`);
      return 0;
    }
    case 'remove':
      stackLog(await removeNode(s, n));
      return 0;
  }
}

async function main(argv: string[]): Promise<number> {
  const cmd = parseStackCommand(argv);
  if (cmd === undefined) {
    process.stderr.write(`${STACK_USAGE}\n`);
    return 2;
  }
  const settings = readStackSettings({
    ...(cmd.command !== 'node' && cmd.nodes !== undefined ? { nodes: cmd.nodes } : {}),
    ...(cmd.tls ? { tls: true } : {}),
  });
  const started = Date.now();
  switch (cmd.command) {
    case 'up': {
      const states = await stackUp(settings);
      stackLog(`stack is up (${seconds(Date.now() - started)})`);
      const cluster = await clusterReport(settings, true);
      process.stdout.write(`${report(settings, states, cluster, cmd.json)}\n`);
      const idle = clusterNodes(settings) - settings.cassandraNodes;
      if (
        settings.externalCassandra === undefined &&
        idle > 0 &&
        typeof cluster === 'object' &&
        !clusterHealthy(cluster)
      ) {
        stackLog(
          `node 1 belongs to a ring of ${clusterNodes(settings)} nodes and ${settings.cassandraNodes} ${settings.cassandraNodes === 1 ? 'runs' : 'run'}: ` +
            `the ranges of the others are unavailable. Start them (stack:up -- --nodes ${clusterNodes(settings)}) ` +
            'or take them out of the ring (stack:node -- remove <n>, highest first).',
        );
      }
      return 0;
    }
    case 'down': {
      const stopped = await stackDown(settings);
      stackLog(stopped.length > 0 ? `stopped ${stopped.join(', ')}` : 'nothing of ours was running');
      return 0;
    }
    case 'status': {
      const states = await stackStatus(settings);
      const cluster = await clusterReport(settings, false);
      process.stdout.write(`${report(settings, states, cluster, cmd.json)}\n`);
      // Nodes beyond those asked for count when they run; stopped, they count through the cluster's view.
      const counted = states.filter(
        (st) => st.service !== 'cassandra' || (st.node ?? 1) <= settings.cassandraNodes || st.mode !== 'none',
      );
      const clusterOk = cluster === undefined || (typeof cluster === 'object' && clusterHealthy(cluster));
      return counted.every((st) => st.ready) && clusterOk ? 0 : 3;
    }
    case 'node':
      return nodeCommand(settings, cmd);
    case 'python': {
      const { ok, message } = localStackPython(settings);
      if (ok) process.stdout.write(`${message}\n`);
      else stackLog(message);
      return ok ? 0 : 1;
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    stackLog(`error: ${describe(err)}`);
    process.exit(1);
  },
);
