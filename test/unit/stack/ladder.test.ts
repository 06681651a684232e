import type { ComposeService } from '../../../scripts/stack/docker';
import {
  type ServiceState,
  serviceUp,
  stackDownWith,
  stackStatusWith,
  stackUpWith,
} from '../../../scripts/stack/ladder';
import type { StackService } from '../../../scripts/stack/service';
import { readStackSettings, type StackMode, type StackSettings } from '../../../scripts/stack/settings';
import { type FakeMachine, fakeMachine, fakeNode, fakeService, flakyProbe, lacking } from './fakes';

describe('serviceUp', () => {
  const settings = readStackSettings();
  interface Given {
    mode?: StackMode;
    external?: boolean;
    running?: boolean;
    container?: boolean;
    portTaken?: boolean;
    hostLacks?: boolean;
    docker?: boolean;
  }
  const [found, started] = [{ startedNow: false }, { startedNow: true }];
  const launched = ['launching', 'start localstack', 'ready localstack'];
  // biome-ignore format: one situation a line reads as the ladder's table
  it.each<[string, Given, Partial<ServiceState> | string, string[]]>([
    ['takes the endpoint the user sets, looking for nothing of ours', { external: true, running: true, portTaken: true }, { mode: 'external', ...found, note: 'LOCALSTACK_URL is set' }, []],
    ['reports a host process of ours as it is', { running: true, container: true }, { mode: 'host', pid: 1000, rssMiB: 42, ...found }, []],
    ['waits for a container of ours instead of starting another', { container: true, portTaken: true }, { mode: 'docker', ...found }, []],
    ["leaves alone what someone else runs on the port", { portTaken: true, docker: true }, { mode: 'external', ...found, note: 'already running, not started here' }, ['port 4566']],
    ['starts on the host when nothing answers', { docker: true }, { mode: 'host', ...started, pid: 1000 }, ['port 4566', 'prerequisites', ...launched]],
    ['falls back to Docker when the host lacks a prerequisite', { hostLacks: true, docker: true }, { mode: 'docker', ...started }, ['port 4566', 'prerequisites', 'docker info', 'launching', 'compose up localstack']],
    ['never asks the host in docker mode', { mode: 'docker', docker: true }, { mode: 'docker', ...started }, ['port 4566', 'docker info', 'launching', 'compose up localstack']],
    ['says what the host lacks and tries no Docker in host mode', { mode: 'host', hostLacks: true, docker: true }, 'cannot start LocalStack: no Python', ['port 4566', 'prerequisites']],
    ['says what the host lacks when Docker does not work either', { hostLacks: true }, 'cannot start LocalStack: no Python', ['port 4566', 'prerequisites', 'docker info']],
    ['says there is no Docker engine in docker mode', { mode: 'docker' }, 'cannot start LocalStack: no Docker engine', ['port 4566', 'docker info']],
  ])('%s', async (_, given, expected, calls) => {
    const m = fakeMachine({ portsTaken: given.portTaken ? [4566] : [], dockerWorks: given.docker });
    const svc = fakeService(m, 'localstack', {
      ...(given.external ? { external: 'http://elsewhere' } : {}),
      ...(given.hostLacks ? { hostPrerequisites: lacking(m, 'no Python') } : {}),
    });
    if (given.running) m.launch(svc);
    if (given.container) m.containers.add('localstack');
    const up = serviceUp(svc, { ...settings, mode: given.mode ?? 'auto' }, m.machine, () =>
      m.calls.push('launching'),
    );
    if (typeof expected === 'string') await expect(up).rejects.toThrow(expected);
    else expect(await up).toMatchObject({ service: 'localstack', ready: true, version: '1.0', ...expected });
    expect(m.calls).toEqual(calls);
  });

  it('keeps the key order `stack:up --json` has always had, with a further node numbered last', async () => {
    const m = fakeMachine();
    const [running, starting, node2] = [
      fakeService(m, 'cassandra'),
      fakeService(m, 'localstack'),
      fakeNode(m, 2),
    ];
    m.launch(running);
    const keys = async (svc: StackService) =>
      Object.keys(await serviceUp(svc, settings, m.machine, () => {})).join();
    expect(await keys(running)).toBe('service,endpoint,ready,mode,version,pid,startedNow,rssMiB');
    expect(await keys(starting)).toBe('service,endpoint,ready,mode,version,startedNow,pid,rssMiB');
    expect(await keys(node2)).toBe('service,endpoint,ready,mode,version,startedNow,pid,rssMiB,node');
  });

  it("waits as long as the service's budget for the situation allows, and no longer", async () => {
    const m = fakeMachine({ portsTaken: [4566] });
    const slow = flakyProbe(3);
    const external = fakeService(m, 'cassandra', { external: 'db1:9042', probe: slow });
    expect(await serviceUp(external, settings, m.machine, () => {})).toMatchObject({ version: '2.0' });
    expect(slow.calls).toBe(4);

    const never = fakeService(m, 'localstack', {
      probe: flakyProbe(Number.POSITIVE_INFINITY),
      waitMs: { ours: 60_000, external: 60_000, portTaken: 30 },
    });
    await expect(serviceUp(never, settings, m.machine, () => {})).rejects.toThrow(
      'LocalStack was not ready after 0 s: not yet',
    );
  });

  it('never falls back to Docker for a node that runs on the host only', async () => {
    const m = fakeMachine({ dockerWorks: true });
    const node2 = fakeNode(m, 2, { hostPrerequisites: lacking(m, 'no JDK') });
    await expect(serviceUp(node2, settings, m.machine, () => {})).rejects.toThrow(
      'cannot start Cassandra node 2: no JDK',
    );
    await expect(serviceUp(node2, { ...settings, mode: 'docker' }, m.machine, () => {})).rejects.toThrow(
      'it runs on the host only, and TRACKLOG_STACK=docker',
    );
    expect(m.calls).not.toContain('compose up cassandra');
  });
});

describe('stackUpWith', () => {
  const settings: StackSettings = { ...readStackSettings(), mode: 'host' };
  const up = (m: FakeMachine, services: StackService[], s = settings, machine = m.machine) =>
    stackUpWith({ services, machine }, s);
  const stops = (m: FakeMachine) => m.calls.filter((c) => c.startsWith('stop'));

  it('stops the service it started when the other one fails, and names both in the error', async () => {
    const m = fakeMachine();
    const failed = up(m, [
      fakeService(m, 'cassandra', { hostPrerequisites: lacking(m, 'no JDK') }),
      fakeService(m, 'localstack'),
    ]);
    await expect(failed).rejects.toThrow('cannot start Cassandra: no JDK');
    await expect(failed).rejects.toThrow('stopped again what this start had started: localstack (host)');
    expect(stops(m)).toEqual(['stop /fake/localstack.pid']);
    expect(m.running.size).toBe(0);
  });

  it('also stops a service whose own start failed after launching it (a container that never got healthy)', async () => {
    const m = fakeMachine({ dockerWorks: true });
    const unhealthy = fakeService(m, 'localstack', {
      hostPrerequisites: lacking(m, 'no Python'),
      probe: flakyProbe(Number.POSITIVE_INFINITY),
      waitMs: { ours: 20, external: 20, portTaken: 20 },
    });
    await expect(
      up(m, [fakeService(m, 'cassandra'), unhealthy], { ...settings, mode: 'auto' }),
    ).rejects.toThrow(
      /not ready after 0 s[\s\S]*stopped again what this start had started: cassandra \(host\), localstack \(docker\)/,
    );
    expect([m.running.size, m.containers.size]).toEqual([0, 0]);
  });

  it('never stops a service that was already running before the call', async () => {
    const m = fakeMachine();
    const cassandra = fakeService(m, 'cassandra');
    m.launch(cassandra);
    const localstack = fakeService(m, 'localstack', { hostPrerequisites: lacking(m, 'no Python >= 3.12') });
    await expect(up(m, [cassandra, localstack])).rejects.toThrow(
      'cannot start LocalStack: no Python >= 3.12',
    );
    expect(stops(m)).toEqual([]);
    expect(m.running.has(cassandra.pidFile)).toBe(true);
  });

  it('still throws the start error when stopping fails, and says what could not be stopped', async () => {
    const m = fakeMachine();
    const stopRecorded = async () => {
      throw new Error('pid file unreadable');
    };
    const services = [
      fakeService(m, 'cassandra', { hostPrerequisites: lacking(m, 'boom') }),
      fakeService(m, 'localstack'),
    ];
    await expect(up(m, services, settings, { ...m.machine, stopRecorded })).rejects.toThrow(
      /boom[\s\S]*could not stop localstack again: pid file unreadable/,
    );
  });

  it('stops nothing on success and tells the caller each service as it starts', async () => {
    const m = fakeMachine();
    const cassandra = fakeService(m, 'cassandra');
    m.launch(cassandra);
    const announced: string[] = [];
    const states = await stackUpWith(
      { services: [cassandra, fakeNode(m, 2), fakeService(m, 'localstack')], machine: m.machine },
      settings,
      { onStart: (service, id) => announced.push(`${service}/${id}`) },
    );
    expect(states.map((s) => [s.service, s.node, s.startedNow])).toEqual([
      ['cassandra', undefined, false],
      ['cassandra', 2, true],
      ['localstack', undefined, true],
    ]);
    expect(announced.sort()).toEqual(['cassandra/cassandra-2', 'localstack/localstack']);
    expect(stops(m)).toEqual([]);
  });

  it('starts the nodes one after another, each once the one before is ready, LocalStack beside them', async () => {
    const m = fakeMachine();
    await up(m, [fakeNode(m, 1), fakeNode(m, 2), fakeNode(m, 3), fakeService(m, 'localstack')]);
    const order = m.calls.filter((c) => c.startsWith('start') || c.startsWith('ready'));
    expect(order.filter((c) => !c.endsWith('localstack'))).toEqual([
      'start cassandra',
      'ready cassandra',
      'start cassandra-2',
      'ready cassandra-2',
      'start cassandra-3',
      'ready cassandra-3',
    ]);
    // LocalStack does not wait for any node.
    expect(order.indexOf('start localstack')).toBeLessThan(order.indexOf('ready cassandra'));
  });

  it('starts no node after one that failed, and stops by id only the nodes this call started', async () => {
    const m = fakeMachine();
    const node1 = fakeNode(m, 1);
    m.launch(node1);
    const node3 = fakeNode(m, 3);
    const failed = up(m, [
      node1,
      fakeNode(m, 2),
      node3,
      fakeNode(m, 4, { hostPrerequisites: lacking(m, 'port 7000 taken') }),
    ]);
    await expect(failed).rejects.toThrow('cannot start Cassandra node 4: port 7000 taken');
    await expect(failed).rejects.toThrow(
      'stopped again what this start had started: cassandra-2 (host), cassandra-3 (host)',
    );
    expect(m.running.has(node1.pidFile)).toBe(true);

    const m2 = fakeMachine();
    const broken = up(m2, [fakeNode(m2, 1, { hostPrerequisites: lacking(m2, 'no JDK') }), fakeNode(m2, 2)]);
    await expect(broken).rejects.toThrow('Cassandra node 2 was not started: cassandra did not come up');
    expect(m2.calls).not.toContain('start cassandra-2');
  });
});

describe('stackStatusWith', () => {
  const settings = readStackSettings();

  it('asks each running service once, in the key order `stack:status --json` has always had', async () => {
    const m = fakeMachine();
    const probe = flakyProbe(1);
    const services = [fakeService(m, 'cassandra', { probe }), fakeService(m, 'localstack')];
    for (const svc of services) m.launch(svc);
    const [c, l] = await stackStatusWith({ services, machine: m.machine }, settings);
    expect(probe.calls).toBe(1);
    expect(c).toMatchObject({ mode: 'host', ready: false, pid: 1000, note: 'not yet (1)' });
    expect(Object.keys(l ?? {}).join()).toBe('service,mode,endpoint,ready,startedNow,pid,rssMiB,version');
  });

  it("tells ours (host, docker) from someone else's (external) from nothing (none), probing only what runs", async () => {
    const m = fakeMachine({ portsTaken: [4566] });
    m.containers.add('cassandra');
    const stopped = flakyProbe(0);
    const states = await stackStatusWith(
      {
        services: [
          fakeService(m, 'cassandra'),
          fakeService(m, 'localstack'),
          fakeService(m, 'cassandra', { compose: 'localstack', port: 1, pidFile: '/none', probe: stopped }),
          fakeService(m, 'localstack', { port: 1, external: 'http://elsewhere' }),
        ],
        machine: m.machine,
      },
      settings,
    );
    expect(states.map((s) => [s.mode, s.ready])).toEqual([
      ['docker', true],
      ['external', true],
      ['none', false],
      ['external', true],
    ]);
    expect(stopped.calls).toBe(0);
  });

  it('numbers the further nodes, stopped or not', async () => {
    const m = fakeMachine();
    const nodes = [fakeNode(m, 1), fakeNode(m, 2, { port: 1 }), fakeNode(m, 3)];
    m.launch(nodes[0] as StackService);
    m.launch(nodes[2] as StackService);
    const states = await stackStatusWith({ services: nodes, machine: m.machine }, settings);
    expect(states.map((s) => [s.node, s.mode])).toEqual([
      [undefined, 'host'],
      [2, 'none'],
      [3, 'host'],
    ]);
  });
});

describe('stackDownWith', () => {
  it('stops host processes first, then containers, and only those asked for', async () => {
    const m = fakeMachine();
    const [cassandra, localstack] = [fakeService(m, 'cassandra'), fakeService(m, 'localstack')];
    const parts = { services: [cassandra, localstack], machine: m.machine };
    const s = readStackSettings();
    m.launch(cassandra);
    m.containers.add('localstack');
    m.containers.add('cassandra');
    expect(await stackDownWith(parts, s, ['localstack'])).toEqual(['localstack (docker)']);
    expect(m.running.has(cassandra.pidFile)).toBe(true);
    expect(await stackDownWith(parts, s)).toEqual(['cassandra (host)', 'cassandra (docker)']);
    expect(await stackDownWith(parts, s)).toEqual([]);
  });

  it('stops every node by the service name, one node by its id', async () => {
    const m = fakeMachine();
    const nodes = [fakeNode(m, 1), fakeNode(m, 2), fakeNode(m, 3)];
    for (const node of nodes) m.launch(node);
    const parts = { services: [...nodes, fakeService(m, 'localstack')], machine: m.machine };
    const s = readStackSettings();
    const only: ComposeService[] = ['cassandra'];
    expect(await stackDownWith(parts, s, ['cassandra-2'])).toEqual(['cassandra-2 (host)']);
    expect(await stackDownWith(parts, s, only)).toEqual(['cassandra (host)', 'cassandra-3 (host)']);
  });
});
