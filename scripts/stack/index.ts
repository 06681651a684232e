// Brings the local stack (Cassandra + LocalStack) up, down, or reports on it. Used by
// `npm run stack:*` and by the integration tests' global setup.
import {
  CASSANDRA_VERSION,
  cassandraEndpoint,
  hostCassandraProcess,
  hostPrerequisites,
  startCassandraOnHost,
  stopHostCassandra,
} from './cassandra';
import { type ComposeService, composeStop, composeUp, dockerWorks, startedWithDocker } from './docker';
import {
  findPython,
  hostLocalStackProcess,
  LOCALSTACK_VERSION,
  startLocalStackOnHost,
  stopHostLocalStack,
} from './localstack';
import { cqlReleaseVersion, localStackHealth, s3AndSqsReady, waitFor } from './probes';
import { portInUse } from './proc';
import { LOCALSTACK_URL, readStackSettings, type StackSettings, stackLog } from './settings';

export type Mode = 'host' | 'docker' | 'external' | 'none';

export interface ServiceState {
  service: ComposeService;
  /** host: a process these scripts started; docker: a container they started; external: someone else's. */
  mode: Mode;
  endpoint: string;
  ready: boolean;
  version?: string;
  pid?: number;
  rssMiB?: number;
  /** True when this call started it. */
  startedNow: boolean;
  note?: string;
}

const CASSANDRA_WAIT_MS = 240_000;
const LOCALSTACK_WAIT_MS = 90_000;

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function cassandraContactPoints(s: StackSettings): string[] {
  return (s.externalCassandra ?? cassandraEndpoint).split(',').map((p) => p.trim());
}

async function probeCassandra(s: StackSettings, waitMs: number): Promise<string> {
  const points = cassandraContactPoints(s);
  if (waitMs <= 0) return cqlReleaseVersion(points);
  return waitFor(() => cqlReleaseVersion(points), { timeoutMs: waitMs, intervalMs: 1000, what: 'Cassandra' });
}

function awsEndpoint(s: StackSettings): string {
  return s.externalAws ?? LOCALSTACK_URL;
}

async function probeLocalStack(s: StackSettings, waitMs: number): Promise<string> {
  const once = async () => {
    const h = await localStackHealth(awsEndpoint(s));
    if (!s3AndSqsReady(h))
      throw new Error(`s3=${h.services.s3 ?? 'absent'} sqs=${h.services.sqs ?? 'absent'}`);
    return h.version;
  };
  if (waitMs <= 0) return once();
  return waitFor(once, { timeoutMs: waitMs, intervalMs: 250, what: 'LocalStack' });
}

/**
 * Brings one service up. `launching` is called just before this call starts it (a host process or a
 * container), never when it was already running: from then on it is ours to stop.
 */
export type ServiceStarter = (s: StackSettings, launching: () => void) => Promise<ServiceState>;

async function cassandraUp(s: StackSettings, launching: () => void): Promise<ServiceState> {
  const base = { service: 'cassandra' as const, endpoint: cassandraContactPoints(s).join(','), ready: true };
  if (s.externalCassandra) {
    const version = await probeCassandra(s, 60_000);
    return { ...base, mode: 'external', version, startedNow: false, note: 'CASSANDRA_CONTACT_POINTS is set' };
  }
  const proc = hostCassandraProcess(s);
  if (proc) {
    const version = await probeCassandra(s, CASSANDRA_WAIT_MS);
    return { ...base, mode: 'host', version, pid: proc.pid, startedNow: false, ...rss(proc) };
  }
  if (startedWithDocker(s, 'cassandra')) {
    return {
      ...base,
      mode: 'docker',
      version: await probeCassandra(s, CASSANDRA_WAIT_MS),
      startedNow: false,
    };
  }
  if (await portInUse(9042)) {
    const version = await probeCassandra(s, 30_000);
    return {
      ...base,
      mode: 'external',
      version,
      startedNow: false,
      note: 'already running, not started here',
    };
  }
  const host = s.mode === 'docker' ? undefined : hostPrerequisites(s);
  if (host?.ok) {
    launching();
    const { version } = await startCassandraOnHost(s, host.jdk);
    const started = hostCassandraProcess(s);
    return { ...base, mode: 'host', version, startedNow: true, pid: started?.pid, ...rss(started) };
  }
  if (s.mode === 'host' || !dockerWorks()) {
    throw new Error(`cannot start Cassandra: ${host && !host.ok ? host.reason : 'no Docker engine'}`);
  }
  launching();
  composeUp(s, 'cassandra');
  return { ...base, mode: 'docker', version: await probeCassandra(s, CASSANDRA_WAIT_MS), startedNow: true };
}

async function localStackUp(s: StackSettings, launching: () => void): Promise<ServiceState> {
  const base = { service: 'localstack' as const, endpoint: awsEndpoint(s), ready: true };
  if (s.externalAws) {
    const version = await probeLocalStack(s, 30_000);
    return { ...base, mode: 'external', version, startedNow: false, note: 'AWS_ENDPOINT_URL is set' };
  }
  const proc = hostLocalStackProcess(s);
  if (proc) {
    const version = await probeLocalStack(s, LOCALSTACK_WAIT_MS);
    return { ...base, mode: 'host', version, pid: proc.pid, startedNow: false, ...rss(proc) };
  }
  if (startedWithDocker(s, 'localstack')) {
    return {
      ...base,
      mode: 'docker',
      version: await probeLocalStack(s, LOCALSTACK_WAIT_MS),
      startedNow: false,
    };
  }
  if (await portInUse(4566)) {
    const version = await probeLocalStack(s, 15_000);
    return {
      ...base,
      mode: 'external',
      version,
      startedNow: false,
      note: 'already running, not started here',
    };
  }
  const python = s.mode === 'docker' ? undefined : findPython(s);
  if (python && 'path' in python) {
    launching();
    const { version } = await startLocalStackOnHost(s, python);
    const started = hostLocalStackProcess(s);
    return { ...base, mode: 'host', version, startedNow: true, pid: started?.pid, ...rss(started) };
  }
  if (s.mode === 'host' || !dockerWorks()) {
    throw new Error(
      `cannot start LocalStack: ${python && 'missing' in python ? python.missing : 'no Docker engine'}`,
    );
  }
  launching();
  composeUp(s, 'localstack');
  return { ...base, mode: 'docker', version: await probeLocalStack(s, LOCALSTACK_WAIT_MS), startedNow: true };
}

function rss(proc: { rssMiB: number | undefined } | undefined): { rssMiB?: number } {
  return proc?.rssMiB !== undefined ? { rssMiB: proc.rssMiB } : {};
}

export interface StackUpOptions {
  /**
   * Called as this call starts a service, before it is ready: a caller interrupted meanwhile (Ctrl-C)
   * knows what to stop.
   */
  onStart?: (service: ComposeService) => void;
}

export interface StackParts {
  starters: Record<ComposeService, ServiceStarter>;
  stop: (s: StackSettings, only: readonly ComposeService[]) => Promise<string[]>;
}

/**
 * Starts whatever is not running yet, both services side by side. When either fails, the services
 * this call started are stopped again before the error is thrown, so a failed start leaks nothing.
 */
export async function stackUp(
  s: StackSettings = readStackSettings(),
  opts: StackUpOptions = {},
): Promise<ServiceState[]> {
  return stackUpWith(
    { starters: { cassandra: cassandraUp, localstack: localStackUp }, stop: stackDown },
    s,
    opts,
  );
}

/** stackUp with its parts given: the unit tests pass fakes. */
export async function stackUpWith(
  parts: StackParts,
  s: StackSettings,
  opts: StackUpOptions = {},
): Promise<ServiceState[]> {
  const launched: ComposeService[] = [];
  const services: ComposeService[] = ['cassandra', 'localstack'];
  const results = await Promise.allSettled(
    services.map((service) =>
      parts.starters[service](s, () => {
        launched.push(service);
        opts.onStart?.(service);
      }),
    ),
  );
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length === 0) return results.map((r) => (r as PromiseFulfilledResult<ServiceState>).value);
  const messages = failures.map((f) => describe(f.reason));
  if (launched.length > 0) {
    try {
      const stopped = await parts.stop(s, launched);
      if (stopped.length > 0)
        messages.push(`stopped again what this start had started: ${stopped.join(', ')}`);
    } catch (err: unknown) {
      messages.push(`could not stop ${launched.join(', ')} again: ${describe(err)}`);
    }
  }
  throw new Error(messages.join('\n\n'));
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

/** Stops only what these scripts started (pid files, compose markers). Returns what it stopped. */
export async function stackDown(
  s: StackSettings = readStackSettings(),
  only?: readonly ComposeService[],
): Promise<string[]> {
  const wanted = (name: ComposeService) => !only || only.includes(name);
  const stopped: string[] = [];
  const [cassandra, localstack] = await Promise.all([
    wanted('cassandra') ? stopHostCassandra(s) : false,
    wanted('localstack') ? stopHostLocalStack(s) : false,
  ]);
  if (cassandra) stopped.push('cassandra (host)');
  if (localstack) stopped.push('localstack (host)');
  for (const service of ['cassandra', 'localstack'] as const) {
    if (wanted(service) && composeStop(s, service)) stopped.push(`${service} (docker)`);
  }
  return stopped;
}

export async function stackStatus(s: StackSettings = readStackSettings()): Promise<ServiceState[]> {
  const check = async (
    service: ComposeService,
    proc: { pid: number; rssMiB: number | undefined } | undefined,
    external: string | undefined,
    port: number,
    endpoint: string,
    probe: () => Promise<string>,
  ): Promise<ServiceState> => {
    const mode: Mode = proc
      ? 'host'
      : startedWithDocker(s, service)
        ? 'docker'
        : external || (await portInUse(port))
          ? 'external'
          : 'none';
    const state: ServiceState = { service, mode, endpoint, ready: false, startedNow: false };
    if (proc) Object.assign(state, { pid: proc.pid }, rss(proc));
    if (mode === 'none') return state;
    try {
      return { ...state, ready: true, version: await probe() };
    } catch (err: unknown) {
      return { ...state, note: describe(err) };
    }
  };
  return Promise.all([
    check(
      'cassandra',
      hostCassandraProcess(s),
      s.externalCassandra,
      9042,
      cassandraContactPoints(s).join(','),
      () => probeCassandra(s, 0),
    ),
    check('localstack', hostLocalStackProcess(s), s.externalAws, 4566, awsEndpoint(s), () =>
      probeLocalStack(s, 0),
    ),
  ]);
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

export { CASSANDRA_VERSION, LOCALSTACK_VERSION, stackLog };
