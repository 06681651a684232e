// Brings the local stack (Cassandra + LocalStack) up, down, or reports on it. Used by
// `npm run stack:*` and by the integration tests' global setup.
import { CASSANDRA_VERSION, cassandraNode } from './cassandra';
import { type ComposeService, composeStop, composeUp, dockerWorks, startedWithDocker } from './docker';
import {
  type Machine,
  type ServiceState,
  type StackParts,
  type StackUpOptions,
  stackDownWith,
  stackStatusWith,
  stackUpWith,
} from './ladder';
import { findPython, LOCALSTACK_VERSION, localStack } from './localstack';
import { portInUse, stopRecorded } from './proc';
import { recordedProcess, type StackService } from './service';
import { readStackSettings, type StackSettings, stackLog } from './settings';

export type { Mode, ServiceState, StackParts, StackUpOptions } from './ladder';
export type { StackService } from './service';

/** The services of the local stack, in the order they are listed and reported. */
export function stackServices(s: StackSettings): StackService[] {
  return [cassandraNode(s, 1), localStack(s)];
}

const thisMachine: Machine = {
  recordedProcess,
  stopRecorded,
  portInUse,
  dockerWorks,
  startedWithDocker,
  composeUp,
  composeStop,
};

function stackParts(s: StackSettings): StackParts {
  return { services: stackServices(s), machine: thisMachine };
}

/**
 * Starts whatever is not running yet, both services side by side. When either fails, the services
 * this call started are stopped again before the error is thrown, so a failed start leaks nothing.
 */
export async function stackUp(
  s: StackSettings = readStackSettings(),
  opts: StackUpOptions = {},
): Promise<ServiceState[]> {
  return stackUpWith(stackParts(s), s, opts);
}

/** Stops only what these scripts started (pid files, compose markers). Returns what it stopped. */
export async function stackDown(
  s: StackSettings = readStackSettings(),
  only?: readonly ComposeService[],
): Promise<string[]> {
  return stackDownWith(stackParts(s), s, only);
}

export async function stackStatus(s: StackSettings = readStackSettings()): Promise<ServiceState[]> {
  return stackStatusWith(stackParts(s), s);
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
      st.service,
      st.mode,
      st.ready ? 'ready' : st.mode === 'none' ? 'stopped' : 'not ready',
      st.endpoint,
      st.version ?? '',
      st.pid !== undefined ? String(st.pid) : '',
      st.rssMiB !== undefined ? `${st.rssMiB} MiB` : '',
    ]);
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const lines = rows.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
  for (const st of states) if (st.note) lines.push(`${st.service}: ${st.note}`);
  return lines.join('\n');
}

export { CASSANDRA_VERSION, LOCALSTACK_VERSION, stackLog, stackUpWith };
