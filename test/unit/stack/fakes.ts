// A fake machine and fake services for the ladder's tests: nothing runs until a test says so.
import type { ComposeService } from '../../../scripts/stack/docker';
import type { Machine } from '../../../scripts/stack/ladder';
import type { HostPrerequisites, StackService } from '../../../scripts/stack/service';

/** A machine where nothing runs until a test says so; `calls` records what the ladder did, in order. */
export function fakeMachine(opts: { portsTaken?: number[]; dockerWorks?: boolean } = {}) {
  const running = new Map<string, number>();
  const containers = new Set<ComposeService>();
  const calls: string[] = [];
  const machine: Machine = {
    recordedProcess: (pidFile) => {
      const pid = running.get(pidFile);
      return pid === undefined ? undefined : { pid, rssMiB: 42 };
    },
    stopRecorded: async (pidFile) => {
      calls.push(`stop ${pidFile}`);
      return running.delete(pidFile);
    },
    portInUse: async (port) => {
      calls.push(`port ${port}`);
      return opts.portsTaken?.includes(port) ?? false;
    },
    dockerWorks: () => {
      calls.push('docker info');
      return opts.dockerWorks ?? false;
    },
    startedWithDocker: (_s, service) => containers.has(service),
    composeUp: (_s, service) => {
      calls.push(`compose up ${service}`);
      containers.add(service);
    },
    composeStop: (_s, service) => containers.delete(service),
  };
  /** Records the service's process as running, as a host start or an earlier `stack:up` would. */
  const launch = (svc: StackService) => running.set(svc.pidFile, 1000 + running.size);
  return { machine, running, containers, calls, launch };
}

export type FakeMachine = ReturnType<typeof fakeMachine>;

/** A service whose host start takes a tick (so others run side by side) and records its process. */
export function fakeService(m: FakeMachine, name: ComposeService, overrides: Partial<StackService> = {}) {
  const svc: StackService = {
    name,
    id: overrides.id ?? name,
    title: name === 'cassandra' ? 'Cassandra' : 'LocalStack',
    address: '127.0.0.1',
    port: name === 'cassandra' ? 9042 : 4566,
    endpoint: `${name}:1`,
    external: undefined,
    externalSetting: `${name.toUpperCase()}_URL`,
    pidFile: `/fake/${overrides.id ?? name}.pid`,
    hostPrerequisites: () => {
      m.calls.push('prerequisites');
      return {
        ok: true,
        start: async () => {
          m.calls.push(`start ${svc.id}`);
          m.launch(svc);
          await new Promise((r) => setTimeout(r, 5));
          m.calls.push(`ready ${svc.id}`);
          return '1.0';
        },
      };
    },
    compose: name,
    probe: async () => '1.0',
    probeIntervalMs: 1,
    waitMs: { ours: 200, external: 200, portTaken: 200 },
    stopGraceMs: 1,
    ...overrides,
  };
  return svc;
}

/** Cassandra node n as cassandra.ts describes one: its own address, pid file and predecessor. */
export function fakeNode(m: FakeMachine, n: number, overrides: Partial<StackService> = {}) {
  return fakeService(m, 'cassandra', {
    id: n === 1 ? 'cassandra' : `cassandra-${n}`,
    ...(n > 1
      ? { node: n, compose: undefined, startAfter: n === 2 ? 'cassandra' : `cassandra-${n - 1}` }
      : {}),
    title: n === 1 ? 'Cassandra' : `Cassandra node ${n}`,
    address: `127.0.0.${n}`,
    ...overrides,
  });
}

export const lacking = (m: FakeMachine, reason: string) => (): HostPrerequisites => {
  m.calls.push('prerequisites');
  return { ok: false, reason };
};

/** A probe that fails `failures` times before it answers, counting its calls. */
export function flakyProbe(failures: number) {
  const probe = Object.assign(
    async () => {
      probe.calls += 1;
      if (probe.calls <= failures) throw new Error(`not yet (${probe.calls})`);
      return '2.0';
    },
    { calls: 0 },
  );
  return probe;
}
