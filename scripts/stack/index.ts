// Brings the local stack (Cassandra, LocalStack, the token issuer) up, down, or reports on it. Used by
// `npm run stack:*` and by the integration tests' global setup.
import { CASSANDRA_VERSION, cassandraNode, knownCassandraNodes } from './cassandra';
import { dockerWorks } from './docker';
import { localIssuer } from './issuer';
import {
  type ServiceState,
  type StackParts,
  type StackUpOptions,
  serviceLabel,
  stackDownWith,
  stackStatusWith,
  stackUpWith,
} from './ladder';
import { findPython, LOCALSTACK_VERSION, localStack } from './localstack';
import { thisMachine } from './machine';
import type { StackService } from './service';
import { readStackSettings, type StackSettings, stackLog } from './settings';
import { table } from './text';

export type { ClusterMember, ClusterView } from './cluster';
export {
  clusterNodes,
  clusterView,
  killNode,
  removeNode,
  runningContactPoints,
  runningTlsCaFile,
  startNode,
  stopNode,
} from './cluster';
export type { Mode, ServiceState, StackParts, StackUpOptions } from './ladder';
export type { StackService } from './service';

/**
 * The services of the local stack, in the order they are listed and reported: Cassandra nodes 1 to
 * `nodes` (node 1 alone unless asked for more), then LocalStack, then the local token issuer. A
 * Cassandra of the user's own is one service, whatever `nodes` says.
 */
export function stackServices(s: StackSettings, nodes = s.cassandraNodes): StackService[] {
  const count = s.externalCassandra === undefined ? nodes : 1;
  const cassandra = Array.from({ length: count }, (_, i) => cassandraNode(s, i + 1, count));
  return [...cassandra, localStack(s), localIssuer(s)];
}

function stackParts(s: StackSettings, nodes?: number): StackParts {
  return { services: stackServices(s, nodes), machine: thisMachine };
}

/** Why the stack cannot run the nodes asked for, if it cannot. */
function clusterRefusal(s: StackSettings): string | undefined {
  if (s.cassandraNodes === 1) return undefined;
  if (s.externalCassandra !== undefined) {
    return `a local cluster of ${s.cassandraNodes} nodes was asked for, but CASSANDRA_CONTACT_POINTS names a Cassandra of your own (${s.externalCassandra})`;
  }
  if (s.mode === 'docker') return 'a local cluster runs on the host only, and TRACKLOG_STACK=docker';
  return undefined;
}

/**
 * Starts whatever is not running yet: the Cassandra nodes one after another (node 1 first), LocalStack
 * beside them. When any fails, the services this call started are stopped again before the error is
 * thrown, so a failed start leaks nothing.
 */
export async function stackUp(
  s: StackSettings = readStackSettings(),
  opts: StackUpOptions = {},
): Promise<ServiceState[]> {
  const refusal = clusterRefusal(s);
  if (refusal !== undefined) throw new Error(refusal);
  return stackUpWith(stackParts(s), s, opts);
}

/**
 * Stops only what these scripts started (pid files, compose markers): every Cassandra node this stack
 * has, whatever `nodes` says. `only` names services or node ids (`cassandra-2`). Returns what it stopped.
 */
export async function stackDown(
  s: StackSettings = readStackSettings(),
  only?: readonly string[],
): Promise<string[]> {
  return stackDownWith(stackParts(s, Math.max(s.cassandraNodes, knownCassandraNodes(s))), s, only);
}

/** Every Cassandra node this stack has (and those asked for), then LocalStack. */
export async function stackStatus(s: StackSettings = readStackSettings()): Promise<ServiceState[]> {
  return stackStatusWith(stackParts(s, Math.max(s.cassandraNodes, knownCassandraNodes(s))), s);
}

/**
 * Whether LocalStack can be started here: on the host with a Python >= 3.12 (found as the start would
 * find it), or in Docker, or not at all because the user runs the endpoint. For CI, before the tests.
 */
export function localStackPython(s: StackSettings): { ok: boolean; message: string } {
  if (s.externalAws) return { ok: true, message: 'no Python needed: AWS_ENDPOINT_URL is set' };
  if (s.mode === 'docker') return { ok: true, message: 'no Python needed: TRACKLOG_STACK=docker' };
  const python = findPython(s);
  if ('path' in python) return { ok: true, message: `${python.path} (Python ${python.version})` };
  if (s.mode === 'auto' && dockerWorks())
    return { ok: true, message: `${python.missing}\nLocalStack will run in Docker instead.` };
  return { ok: false, message: python.missing };
}

export function formatStates(states: ServiceState[]): string {
  const rows = [['service', 'mode', 'state', 'endpoint', 'version', 'pid', 'rss']];
  for (const st of states) {
    rows.push([
      serviceLabel(st),
      st.mode,
      st.ready ? 'ready' : st.mode === 'none' ? 'stopped' : 'not ready',
      st.endpoint,
      st.version ?? '',
      st.pid !== undefined ? String(st.pid) : '',
      st.rssMiB !== undefined ? `${st.rssMiB} MiB` : '',
    ]);
  }
  const lines = table(rows);
  for (const st of states) if (st.note) lines.push(`${serviceLabel(st)}: ${st.note}`);
  return lines.join('\n');
}

export { CASSANDRA_VERSION, LOCALSTACK_VERSION, stackLog, stackUpWith };
