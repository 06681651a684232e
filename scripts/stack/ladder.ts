// Up, status and down for any service described by a StackService: one ladder for all of them, so
// every service is found, started and stopped by the same rules.
import type { ComposeService } from './docker';
import { waitFor } from './probes';
import type { HostProcess, ServiceName, StackService } from './service';
import type { StackSettings } from './settings';

export type Mode = 'host' | 'docker' | 'external' | 'none';

export interface ServiceState {
  service: ServiceName;
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
  /** The Cassandra node, for nodes after the first; absent otherwise, so a single node reads as always. */
  node?: number;
}

/** What the ladder asks of this machine (pid files, Docker, ports); the unit tests pass a fake one. */
export interface Machine {
  recordedProcess(pidFile: string): HostProcess | undefined;
  stopRecorded(pidFile: string, graceMs: number): Promise<boolean>;
  portInUse(port: number, address: string): Promise<boolean>;
  dockerWorks(): boolean;
  startedWithDocker(s: StackSettings, service: ComposeService): boolean;
  composeUp(s: StackSettings, service: ComposeService): void;
  composeStop(s: StackSettings, service: ComposeService): boolean;
}

/** The services of the stack and the machine they run on. */
export interface StackParts {
  services: readonly StackService[];
  machine: Machine;
}

export interface StackUpOptions {
  /**
   * Called as this call starts a service, before it is ready: a caller interrupted meanwhile (Ctrl-C)
   * knows what to stop. `id` tells one Cassandra node from another (`stackDown(only)` takes either).
   */
  onStart?: (service: ServiceName, id: string) => void;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function rss(proc: HostProcess | undefined): { rssMiB?: number } {
  return proc?.rssMiB !== undefined ? { rssMiB: proc.rssMiB } : {};
}

/** Appended last, so the keys of a single node's state keep the order they always had. */
function nodeOf(svc: StackService): { node?: number } {
  return svc.node !== undefined && svc.node > 1 ? { node: svc.node } : {};
}

function inDocker(svc: StackService, s: StackSettings, machine: Machine): boolean {
  return svc.compose !== undefined && machine.startedWithDocker(s, svc.compose);
}

/** Resolves to the version once the service answers; waitMs 0 asks once. */
function answers(svc: StackService, waitMs: number): Promise<string> {
  if (waitMs <= 0) return svc.probe();
  return waitFor(svc.probe, { timeoutMs: waitMs, intervalMs: svc.probeIntervalMs, what: svc.title });
}

/**
 * Brings one service up. `launching` is called just before this call starts it (a host process or a
 * container), never when it was already running: from then on it is ours to stop.
 */
export async function serviceUp(
  svc: StackService,
  s: StackSettings,
  machine: Machine,
  launching: () => void,
): Promise<ServiceState> {
  // The key order of these objects is the order of `stack:up --json`.
  const base = { service: svc.name, endpoint: svc.endpoint, ready: true };
  const node = nodeOf(svc);
  if (svc.external) {
    const version = await answers(svc, svc.waitMs.external);
    return {
      ...base,
      mode: 'external',
      version,
      startedNow: false,
      note: `${svc.externalSetting} is set`,
      ...node,
    };
  }
  const proc = machine.recordedProcess(svc.pidFile);
  if (proc) {
    const version = await answers(svc, svc.waitMs.ours);
    return { ...base, mode: 'host', version, pid: proc.pid, startedNow: false, ...rss(proc), ...node };
  }
  if (inDocker(svc, s, machine)) {
    return { ...base, mode: 'docker', version: await answers(svc, svc.waitMs.ours), startedNow: false };
  }
  if (await machine.portInUse(svc.port, svc.address)) {
    const version = await answers(svc, svc.waitMs.portTaken);
    return {
      ...base,
      mode: 'external',
      version,
      startedNow: false,
      note: 'already running, not started here',
      ...node,
    };
  }
  const compose = svc.compose;
  if (s.mode === 'docker' && compose === undefined && !svc.hostOnly) {
    throw new Error(`cannot start ${svc.title}: it runs on the host only, and TRACKLOG_STACK=docker`);
  }
  const host = s.mode === 'docker' && !svc.hostOnly ? undefined : svc.hostPrerequisites();
  if (host?.ok) {
    launching();
    const version = await host.start();
    const started = machine.recordedProcess(svc.pidFile);
    return { ...base, mode: 'host', version, startedNow: true, pid: started?.pid, ...rss(started), ...node };
  }
  const lacking = host && !host.ok ? host.reason : 'no Docker engine';
  if (compose === undefined) throw new Error(`cannot start ${svc.title}: ${lacking}`);
  if (s.mode === 'host' || !machine.dockerWorks()) throw new Error(`cannot start ${svc.title}: ${lacking}`);
  launching();
  machine.composeUp(s, compose);
  return { ...base, mode: 'docker', version: await answers(svc, svc.waitMs.ours), startedNow: true };
}

/**
 * Starts whatever is not running yet: all services side by side, except that a service with
 * `startAfter` waits until that one is up (and is not started when it failed). When any fails, the
 * services this call started are stopped again before the error is thrown, so a failed start leaks
 * nothing.
 */
export async function stackUpWith(
  parts: StackParts,
  s: StackSettings,
  opts: StackUpOptions = {},
): Promise<ServiceState[]> {
  const launched: StackService[] = [];
  const ups = new Map<string, Promise<ServiceState>>();
  for (const svc of parts.services) {
    const up = () =>
      serviceUp(svc, s, parts.machine, () => {
        launched.push(svc);
        opts.onStart?.(svc.name, svc.id);
      });
    const before = svc.startAfter === undefined ? undefined : ups.get(svc.startAfter);
    ups.set(
      svc.id,
      before === undefined
        ? up()
        : before.then(up, () => {
            throw new Error(`${svc.title} was not started: ${svc.startAfter} did not come up`);
          }),
    );
  }
  const results = await Promise.allSettled(ups.values());
  const states = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const messages = results.flatMap((r) => (r.status === 'rejected' ? [describe(r.reason)] : []));
  if (messages.length === 0) return states;
  if (launched.length > 0) {
    try {
      // By id, not name: a node that was already running is never stopped by a failed start.
      const stopped = await stackDownWith(
        parts,
        s,
        launched.map((svc) => svc.id),
      );
      if (stopped.length > 0)
        messages.push(`stopped again what this start had started: ${stopped.join(', ')}`);
    } catch (err: unknown) {
      messages.push(`could not stop ${launched.map((svc) => svc.id).join(', ')} again: ${describe(err)}`);
    }
  }
  throw new Error(messages.join('\n\n'));
}

/** What status rows and messages call a service: `cassandra-2` for a further node. */
export function serviceLabel(st: { service: ServiceName; node?: number }): string {
  return st.node !== undefined ? `${st.service}-${st.node}` : st.service;
}

/**
 * Stops only what these scripts started (pid files, compose markers); `only` names services (every
 * Cassandra node) or ids (one node). Returns what it stopped.
 */
export async function stackDownWith(
  parts: StackParts,
  s: StackSettings,
  only?: readonly string[],
): Promise<string[]> {
  const { machine } = parts;
  const wanted = parts.services.filter((svc) => !only || only.includes(svc.name) || only.includes(svc.id));
  const onHost = await Promise.all(wanted.map((svc) => machine.stopRecorded(svc.pidFile, svc.stopGraceMs)));
  const stopped = wanted
    .filter((_, i) => onHost[i])
    .map((svc) => `${serviceLabel({ service: svc.name, ...nodeOf(svc) })} (host)`);
  for (const svc of wanted) {
    if (svc.compose !== undefined && machine.composeStop(s, svc.compose))
      stopped.push(`${svc.name} (docker)`);
  }
  return stopped;
}

/** Reports on one service without starting or waiting for anything. */
export async function serviceStatus(
  svc: StackService,
  s: StackSettings,
  machine: Machine,
): Promise<ServiceState> {
  const proc = machine.recordedProcess(svc.pidFile);
  const mode: Mode = proc
    ? 'host'
    : inDocker(svc, s, machine)
      ? 'docker'
      : svc.external || (await machine.portInUse(svc.port, svc.address))
        ? 'external'
        : 'none';
  // The key order of this object is the order of `stack:status --json`.
  const state: ServiceState = {
    service: svc.name,
    mode,
    endpoint: svc.endpoint,
    ready: false,
    startedNow: false,
  };
  if (proc) Object.assign(state, { pid: proc.pid }, rss(proc));
  if (mode === 'none') return { ...state, ...nodeOf(svc) };
  try {
    return { ...state, ready: true, version: await answers(svc, 0), ...nodeOf(svc) };
  } catch (err: unknown) {
    return { ...state, note: describe(err), ...nodeOf(svc) };
  }
}

export function stackStatusWith(parts: StackParts, s: StackSettings): Promise<ServiceState[]> {
  return Promise.all(parts.services.map((svc) => serviceStatus(svc, s, parts.machine)));
}
