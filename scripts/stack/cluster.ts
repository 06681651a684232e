// A local Cassandra cluster as a whole: which of its nodes run, what the cluster itself says about each
// (`nodetool status` through a running node's JMX port: the gossip view of that node), the contact
// points for the rest of the project, and one node at a time stopped, killed, started again or removed
// (`npm run stack:node -- stop|kill|start|remove <n>`).
import { rmSync } from 'node:fs';
import {
  type CassandraNode,
  cassandraNode,
  cassandraNodeLayout,
  knownCassandraNodes,
  nodeClientTls,
} from './cassandra';
import { type ServiceState, serviceUp } from './ladder';
import { thisMachine } from './machine';
import {
  type MemberState,
  type MemberStatus,
  nodetool,
  parseNodetoolStatus,
  type RingMember,
} from './nodetool';
import { waitFor } from './probes';
import { stopRecorded } from './proc';
import { type HostProcess, recordedProcess } from './service';
import { MAX_CASSANDRA_NODES, readStackSettings, type StackSettings, seconds, stackLog } from './settings';
import { table } from './text';
import { stackTlsPaths } from './tls';

/** A member of the ring, with the node of ours it is (by address) and that node's process. */
export interface ClusterMember extends RingMember {
  /** n for 127.0.0.<n>, when that is one of this stack's node addresses. */
  node?: number;
  pid?: number;
  rssMiB?: number;
}

export interface ClusterView {
  /** The node whose view this is, and the JMX port nodetool asked it through. */
  askedNode: number;
  askedAddress: string;
  jmxPort: number;
  members: ClusterMember[];
}

export interface RunningNode {
  node: CassandraNode;
  process: HostProcess;
}

/** The nodes this stack has: those asked for, and any whose folder exists from an earlier run. */
export function clusterNodes(s: StackSettings): number {
  return Math.max(s.cassandraNodes, knownCassandraNodes(s));
}

/** The nodes of this stack whose process (recorded in their pid file) is running, node 1 first. */
export function runningNodes(s: StackSettings, nodes = clusterNodes(s)): RunningNode[] {
  const running: RunningNode[] = [];
  for (let n = 1; n <= nodes; n++) {
    const node = cassandraNodeLayout(s, n);
    const proc = recordedProcess(node.paths.pidFile);
    if (proc) running.push({ node, process: proc });
  }
  return running;
}

/**
 * The CQL contact points (host:port) of this stack's running Cassandra nodes, node 1 first: what a
 * driver, or a fault-test suite that stops and starts nodes, connects with.
 */
export function runningContactPoints(s: StackSettings = readStackSettings()): string[] {
  return runningNodes(s).map(({ node }) => `${node.address}:${node.ports.cql}`);
}

/**
 * The CA that clients of this stack's running nodes must trust (CASSANDRA_TLS_CA_FILE), when one of
 * them takes clients over TLS only (started with --tls).
 */
export function runningTlsCaFile(s: StackSettings = readStackSettings()): string | undefined {
  return runningNodes(s).some(({ node }) => nodeClientTls(s, node).tls !== undefined)
    ? stackTlsPaths(s).caFile
    : undefined;
}

/** The line `stack:up` prints for the rest of the project (lib/config.ts reads the variable). */
export function contactPointsLine(points: readonly string[]): string {
  return `CASSANDRA_CONTACT_POINTS=${points.join(',')}`;
}

/** n for 127.0.0.<n>, when that is an address a node of this stack may have. */
function nodeNumber(address: string): number | undefined {
  const m = /^127\.0\.0\.(\d+)$/.exec(address);
  const n = m ? Number(m[1]) : Number.NaN;
  return n >= 1 && n <= MAX_CASSANDRA_NODES ? n : undefined;
}

function sortByNode(members: ClusterMember[]): ClusterMember[] {
  const key = (m: ClusterMember) => m.node ?? Number.MAX_SAFE_INTEGER;
  return [...members].sort((a, b) => key(a) - key(b));
}

/**
 * The ring as one running node of ours sees it (node 1 when it runs, else the lowest running;
 * `exclude` skips a node, to hear about it from another). Rejects when no node of ours runs or none
 * answers nodetool.
 */
export async function clusterView(
  s: StackSettings,
  opts: { nodes?: number; exclude?: number } = {},
): Promise<ClusterView> {
  const nodes = opts.nodes ?? clusterNodes(s);
  const running = runningNodes(s, nodes);
  const askable = running.filter(({ node }) => node.n !== opts.exclude);
  if (askable.length === 0) throw new Error('no Cassandra node of this stack is running to ask');
  const errors: string[] = [];
  for (const { node } of askable) {
    try {
      const members = parseNodetoolStatus(await nodetool(s, node.ports.jmx, ['status'], 30_000));
      if (members.length === 0) throw new Error('nodetool status listed no node');
      return {
        askedNode: node.n,
        askedAddress: node.address,
        jmxPort: node.ports.jmx,
        // nodetool lists members in host id order; node order reads better, unknown addresses last.
        members: sortByNode(
          members.map((member) => {
            const n = nodeNumber(member.address);
            const proc = running.find((r) => r.node.n === n)?.process;
            return {
              ...member,
              ...(n !== undefined ? { node: n } : {}),
              ...(proc ? { pid: proc.pid } : {}),
              ...(proc?.rssMiB !== undefined ? { rssMiB: proc.rssMiB } : {}),
            };
          }),
        ),
      };
    } catch (err: unknown) {
      errors.push(err instanceof Error ? err.message : String(err));
    }
  }
  throw new Error(errors.join('\n'));
}

/** Every member up and normal: no node down, none still joining or leaving. */
export function clusterHealthy(view: ClusterView): boolean {
  return view.members.every((m) => m.status === 'up' && m.state === 'normal');
}

export function formatCluster(view: ClusterView): string {
  const rows = [['node', 'address', 'status', 'state', 'pid', 'rss', 'load', 'owns', 'host id']];
  for (const m of view.members) {
    rows.push([
      m.node !== undefined ? String(m.node) : '?',
      m.address,
      m.status,
      m.state,
      m.pid !== undefined ? String(m.pid) : '',
      m.rssMiB !== undefined ? `${m.rssMiB} MiB` : '',
      m.load,
      m.owns,
      m.hostId,
    ]);
  }
  const heading =
    `Cassandra cluster as node ${view.askedNode} (${view.askedAddress}) sees it ` +
    `(nodetool status over JMX 127.0.0.1:${view.jmxPort}):`;
  return [heading, ...table(rows)].join('\n');
}

/** The status fields a Cassandra node's state gets in `--json` output, from the cluster's view. */
export function withClusterView(
  states: ServiceState[],
  view: ClusterView | undefined,
): (ServiceState & { cluster?: { status: MemberStatus; state: MemberState; load: string; owns: string } })[] {
  return states.map((st) => {
    if (st.service !== 'cassandra' || view === undefined) return st;
    const m = view.members.find((member) => member.node === (st.node ?? 1));
    return m ? { ...st, cluster: { status: m.status, state: m.state, load: m.load, owns: m.owns } } : st;
  });
}

/** Stops node n as Cassandra expects (SIGTERM: it drains and flushes), SIGKILL after 60 s. */
export function stopNode(s: StackSettings, n: number): Promise<boolean> {
  return stopRecorded(cassandraNodeLayout(s, n).paths.pidFile, 60_000);
}

/** Kills node n at once (SIGKILL), as a crash would: it gets no chance to drain. */
export function killNode(s: StackSettings, n: number): Promise<boolean> {
  return stopRecorded(cassandraNodeLayout(s, n).paths.pidFile, 0, 'SIGKILL');
}

/**
 * Waits until another running node of ours sees node n up and normal, as ccm's `start` waits for the
 * other live nodes to mark a started node up (`wait_other_notice`). A node running alone is done.
 */
export async function waitSeenUp(
  s: StackSettings,
  n: number,
  timeoutMs = 120_000,
): Promise<ClusterView | undefined> {
  const address = cassandraNodeLayout(s, n).address;
  if (runningNodes(s).every(({ node }) => node.n === n)) return undefined;
  return waitFor(
    async () => {
      const view = await clusterView(s, { exclude: n });
      const m = view.members.find((member) => member.address === address);
      if (m?.status !== 'up' || m.state !== 'normal') {
        throw new Error(
          `node ${view.askedNode} sees ${address} ${m ? `${m.status}, ${m.state}` : 'nowhere'}`,
        );
      }
      return view;
    },
    { timeoutMs, intervalMs: 500, what: `node ${n} as the others see it` },
  );
}

/**
 * Starts node n (the same ladder as `stack:up`) and resolves once the other running nodes see it up
 * and normal. A node after the first joins through node 1, the seed, which must be running.
 */
export async function startNode(s: StackSettings, n: number): Promise<ServiceState> {
  if (n > 1 && !recordedProcess(cassandraNodeLayout(s, 1).paths.pidFile)) {
    throw new Error(`node ${n} joins through node 1, the seed, which is not running: start it first`);
  }
  const started = Date.now();
  const state = await serviceUp(cassandraNode(s, n, clusterNodes(s)), s, thisMachine, () => {});
  await waitSeenUp(s, n);
  stackLog(
    `node ${n} is up and normal as the cluster sees it, ${seconds(Date.now() - started)} after the start`,
  );
  return state;
}

/**
 * Takes node n (not node 1, the seed) out of the ring and deletes its folder: a running node leaves
 * with `nodetool decommission` (streaming its ranges to the others), a stopped one is removed by a
 * running node (`nodetool removenode`, the others stream the ranges it had). After removing every
 * further node, node 1 is a single node again, as the default stack expects.
 */
export async function removeNode(s: StackSettings, n: number): Promise<string> {
  if (n === 1) throw new Error('node 1 is the seed and the default single node; it is not removed');
  const node = cassandraNodeLayout(s, n);
  let how: string;
  if (recordedProcess(node.paths.pidFile)) {
    stackLog(`node ${n}: decommissioning (streams its ranges to the other nodes)`);
    // --force: Cassandra refuses to leave fewer nodes than a keyspace's replication factor, and
    // system_distributed has RF 3 whatever the cluster size; a local cluster may shrink below it.
    await nodetool(s, node.ports.jmx, ['decommission', '--force'], 30 * 60_000);
    await stopRecorded(node.paths.pidFile, 60_000);
    how = 'decommissioned';
  } else {
    const view = await clusterView(s, { exclude: n });
    const member = view.members.find((m) => m.address === node.address);
    if (member) {
      stackLog(
        `node ${n} is not running: node ${view.askedNode} removes it (nodetool removenode); ` +
          'what only it held (RF 1 data) is lost: start it first to have it hand its ranges over',
      );
      await nodetool(s, view.jmxPort, ['removenode', member.hostId], 30 * 60_000);
      how = `removed by node ${view.askedNode}`;
    } else {
      how = 'was not in the ring';
    }
  }
  rmSync(node.paths.root, { recursive: true, force: true });
  return `node ${n} (${node.address}) ${how}; ${node.paths.root} deleted`;
}
