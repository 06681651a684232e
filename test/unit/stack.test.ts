import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cassandraNode, cassandraNodeLayout } from '../../scripts/stack/cassandra';
import { parseStackCommand } from '../../scripts/stack/command-line';
import type { ComposeService } from '../../scripts/stack/docker';
import { localStackPython, stackServices } from '../../scripts/stack/index';
import { findJdk, jdkMajor } from '../../scripts/stack/java';
import {
  type Machine,
  type ServiceState,
  serviceUp,
  stackDownWith,
  stackStatusWith,
  stackUpWith,
} from '../../scripts/stack/ladder';
import { localStack } from '../../scripts/stack/localstack';
import { liveProcess, readPidFile } from '../../scripts/stack/proc';
import type { HostPrerequisites, StackService } from '../../scripts/stack/service';
import { readStackSettings, type StackMode, type StackSettings } from '../../scripts/stack/settings';

function fakeJdk(root: string, name: string, version: string): string {
  const home = join(root, name);
  mkdirSync(join(home, 'bin'), { recursive: true });
  writeFileSync(join(home, 'release'), `IMPLEMENTOR="Test"\nJAVA_VERSION="${version}"\n`);
  return home;
}

describe('jdkMajor', () => {
  const root = mkdtempSync(join(tmpdir(), 'jdk-'));
  it.each([
    ['17.0.15', 17],
    ['11.0.2', 11],
    ['25', 25],
    ['1.8.0_392', 8],
  ])('reads JAVA_VERSION="%s" as major %d', (version, major) => {
    expect(jdkMajor(fakeJdk(root, `jdk-${version}`, version))).toBe(major);
  });

  it('returns undefined for a folder that is not a JDK', () => {
    expect(jdkMajor(root)).toBeUndefined();
  });
});

describe('findJdk', () => {
  it('honours JAVA_HOME when it points at a JDK 17', () => {
    const home = fakeJdk(mkdtempSync(join(tmpdir(), 'jdk-')), 'jdk17', '17.0.9');
    expect(findJdk(home)).toEqual({ home, major: 17, java: join(home, 'bin', 'java') });
  });

  it('honours JAVA_HOME when it points at a JDK 11', () => {
    const home = fakeJdk(mkdtempSync(join(tmpdir(), 'jdk-')), 'jdk11', '11.0.21');
    expect(findJdk(home).major).toBe(11);
  });

  it('looks past a JAVA_HOME that Cassandra 5.0 refuses (JDK 25) instead of using it', () => {
    const home = fakeJdk(mkdtempSync(join(tmpdir(), 'jdk-')), 'jdk25', '25.0.1');
    let found: ReturnType<typeof findJdk> | undefined;
    try {
      found = findJdk(home);
    } catch (err: unknown) {
      // On a machine without any JDK 11/17 the error must name what was rejected.
      expect((err as Error).message).toContain(`JAVA_HOME=${home} (JDK 25)`);
      return;
    }
    expect(found.home).not.toBe(home);
    expect([11, 17]).toContain(found.major);
  });
});

describe('readStackSettings', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('defaults to auto mode, a 1G heap and no external services', () => {
    delete process.env.TRACKLOG_STACK;
    delete process.env.TRACKLOG_CASSANDRA_HEAP;
    delete process.env.CASSANDRA_CONTACT_POINTS;
    delete process.env.AWS_ENDPOINT_URL;
    expect(readStackSettings()).toMatchObject({
      mode: 'auto',
      cassandraHeap: '1G',
      externalCassandra: undefined,
      externalAws: undefined,
    });
  });

  it('treats CASSANDRA_CONTACT_POINTS and AWS_ENDPOINT_URL as services the user runs', () => {
    process.env.CASSANDRA_CONTACT_POINTS = 'db1:9042,db2:9042';
    process.env.AWS_ENDPOINT_URL = 'http://localhost:4566';
    expect(readStackSettings()).toMatchObject({
      externalCassandra: 'db1:9042,db2:9042',
      externalAws: 'http://localhost:4566',
    });
  });

  it.each([
    ['TRACKLOG_STACK', 'kubernetes'],
    ['TRACKLOG_CASSANDRA_HEAP', 'lots'],
  ])('rejects %s=%s with a message naming the variable', (name, value) => {
    process.env[name] = value;
    expect(() => readStackSettings()).toThrow(name);
  });
});

describe('pid files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pid-'));

  it('recognises a recorded process only when its command line still carries the marker', () => {
    const file = join(dir, 'self.pid');
    writeFileSync(file, JSON.stringify({ pid: process.pid, marker: 'node', startedAt: 'now' }));
    expect(liveProcess(file)?.pid).toBe(process.pid);

    // Same pid, different marker: a recycled pid must not be mistaken for ours.
    writeFileSync(
      file,
      JSON.stringify({ pid: process.pid, marker: 'CassandraDaemon-xyz', startedAt: 'now' }),
    );
    expect(liveProcess(file)).toBeUndefined();
  });

  it('treats a torn pid file as absent', () => {
    const file = join(dir, 'torn.pid');
    writeFileSync(file, '{"pid": 12');
    expect(readPidFile(file)).toBeUndefined();
  });
});

/** A machine where nothing runs until a test says so; `calls` records what the ladder did, in order. */
function fakeMachine(opts: { portsTaken?: number[]; dockerWorks?: boolean } = {}) {
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

type FakeMachine = ReturnType<typeof fakeMachine>;

/** A service whose host start takes a tick (so others run side by side) and records its process. */
function fakeService(m: FakeMachine, name: ComposeService, overrides: Partial<StackService> = {}) {
  const svc: StackService = {
    name,
    title: name === 'cassandra' ? 'Cassandra' : 'LocalStack',
    address: '127.0.0.1',
    port: name === 'cassandra' ? 9042 : 4566,
    endpoint: `${name}:1`,
    external: undefined,
    externalSetting: `${name.toUpperCase()}_URL`,
    pidFile: `/fake/${name}.pid`,
    hostPrerequisites: () => {
      m.calls.push('prerequisites');
      return {
        ok: true,
        start: async () => {
          m.launch(svc);
          await new Promise((r) => setTimeout(r, 5));
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

const lacking = (m: FakeMachine, reason: string) => (): HostPrerequisites => {
  m.calls.push('prerequisites');
  return { ok: false, reason };
};

/** A probe that fails `failures` times before it answers, counting its calls. */
function flakyProbe(failures: number) {
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
  // biome-ignore format: one situation a line reads as the ladder's table
  it.each<[string, Given, Partial<ServiceState> | string, string[]]>([
    ['takes the endpoint the user sets, looking for nothing of ours', { external: true, running: true, portTaken: true }, { mode: 'external', ...found, note: 'LOCALSTACK_URL is set' }, []],
    ['reports a host process of ours as it is', { running: true, container: true }, { mode: 'host', pid: 1000, rssMiB: 42, ...found }, []],
    ['waits for a container of ours instead of starting another', { container: true, portTaken: true }, { mode: 'docker', ...found }, []],
    ["leaves alone what someone else runs on the port", { portTaken: true, docker: true }, { mode: 'external', ...found, note: 'already running, not started here' }, ['port 4566']],
    ['starts on the host when nothing answers', { docker: true }, { mode: 'host', ...started, pid: 1000 }, ['port 4566', 'prerequisites', 'launching']],
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

  it('keeps the key order `stack:up --json` has always had', async () => {
    const m = fakeMachine();
    const [running, starting] = [fakeService(m, 'cassandra'), fakeService(m, 'localstack')];
    m.launch(running);
    const keys = async (svc: StackService) =>
      Object.keys(await serviceUp(svc, settings, m.machine, () => {})).join();
    expect(await keys(running)).toBe('service,endpoint,ready,mode,version,pid,startedNow,rssMiB');
    expect(await keys(starting)).toBe('service,endpoint,ready,mode,version,startedNow,pid,rssMiB');
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
    const announced: ComposeService[] = [];
    const states = await stackUpWith(
      { services: [cassandra, fakeService(m, 'localstack')], machine: m.machine },
      settings,
      { onStart: (service) => announced.push(service) },
    );
    expect(states.map((s) => [s.service, s.startedNow])).toEqual([
      ['cassandra', false],
      ['localstack', true],
    ]);
    expect(announced).toEqual(['localstack']);
    expect(stops(m)).toEqual([]);
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
});

describe('the service table', () => {
  const s: StackSettings = {
    ...readStackSettings(),
    localDir: '/tmp/local',
    externalCassandra: undefined,
    externalAws: undefined,
  };

  it('lists Cassandra node 1 where the single node has always lived, then LocalStack', () => {
    expect(stackServices(s).map((svc) => [svc.name, svc.compose, svc.pidFile, svc.endpoint])).toEqual([
      ['cassandra', 'cassandra', '/tmp/local/cassandra/cassandra.pid', '127.0.0.1:9042'],
      ['localstack', 'localstack', '/tmp/local/localstack/localstack.pid', 'http://127.0.0.1:4566'],
    ]);
    expect(cassandraNodeLayout(s, 1)).toMatchObject({
      address: '127.0.0.1',
      ports: { cql: 9042, storage: 7000, jmx: 7199 },
      paths: { root: '/tmp/local/cassandra', logs: '/tmp/local/cassandra/logs' },
    });
  });

  it('gives every further node its own address, folders, pid file and JMX port', () => {
    const [one, three] = [cassandraNodeLayout(s, 1), cassandraNodeLayout(s, 3)];
    expect([three.address, three.paths.root]).toEqual(['127.0.0.3', '/tmp/local/cassandra-3']);
    expect(three.paths.pidFile).not.toBe(one.paths.pidFile);
    expect(three.ports.jmx).not.toBe(one.ports.jmx);
    expect(cassandraNode(s, 3).endpoint).toBe('127.0.0.3:9042');
  });

  it('points the services at the endpoints the user sets instead of their own', () => {
    const external = { ...s, externalCassandra: 'db1:9042, db2:9042', externalAws: 'http://aws:4566' };
    expect(cassandraNode(external, 1).endpoint).toBe('db1:9042,db2:9042');
    expect(localStack(external).endpoint).toBe('http://aws:4566');
  });
});

describe('parseStackCommand', () => {
  it('reads a command and --json, in either order', () => {
    expect(parseStackCommand(['up'])).toEqual({ command: 'up', json: false });
    expect(parseStackCommand(['--json', 'status'])).toEqual({ command: 'status', json: true });
  });

  it.each([[[]], [['status', '--jsn']], [['up', '--json=yes']], [['up', 'now']]])(
    'refuses %j (the script prints its usage and exits 2)',
    (argv) => expect(parseStackCommand(argv)).toBeUndefined(),
  );
});

describe('localStackPython', () => {
  const saved = { PATH: process.env.PATH, PYENV_ROOT: process.env.PYENV_ROOT };
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  /** An executable that answers the version probe as a Python major.minor would. */
  const fakePython = (path: string, version: string) => {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, `#!/bin/sh\necho "${version.replace('.', ' ')}"\n`);
    chmodSync(path, 0o755);
    return path;
  };
  const host = { ...readStackSettings(), mode: 'host' as const, python: undefined, externalAws: undefined };

  it("finds pyenv's newest 3.12/3.13 when python3 on PATH is 3.11 (the CI machine)", () => {
    const root = mkdtempSync(join(tmpdir(), 'py-'));
    fakePython(join(root, 'bin', 'python3'), '3.11');
    fakePython(join(root, 'pyenv', 'versions', '3.12.1', 'bin', 'python3'), '3.12');
    const newest = fakePython(join(root, 'pyenv', 'versions', '3.13.0', 'bin', 'python3'), '3.13');
    process.env.PATH = join(root, 'bin');
    process.env.PYENV_ROOT = join(root, 'pyenv');
    expect(localStackPython(host)).toEqual({ ok: true, message: `${newest} (Python 3.13)` });
  });

  it('fails with a message naming what it found when there is no Python >= 3.12', () => {
    const root = mkdtempSync(join(tmpdir(), 'py-'));
    fakePython(join(root, 'bin', 'python3'), '3.11');
    process.env.PATH = join(root, 'bin');
    process.env.PYENV_ROOT = join(root, 'no-pyenv');
    const check = localStackPython(host);
    expect(check.ok).toBe(false);
    expect(check.message).toContain('needs Python >= 3.12');
    expect(check.message).toContain('found only python3 (3.11)');
  });

  it('takes TRACKLOG_PYTHON alone when it is set', () => {
    const root = mkdtempSync(join(tmpdir(), 'py-'));
    const old = fakePython(join(root, 'python-old'), '3.10');
    expect(localStackPython({ ...host, python: old })).toMatchObject({ ok: false });
    const ok = fakePython(join(root, 'python-new'), '3.12');
    expect(localStackPython({ ...host, python: ok })).toEqual({ ok: true, message: `${ok} (Python 3.12)` });
  });

  it('needs no Python when the user runs the endpoint or LocalStack runs in Docker', () => {
    process.env.PATH = mkdtempSync(join(tmpdir(), 'empty-'));
    expect(localStackPython({ ...host, externalAws: 'http://localhost:4566' }).ok).toBe(true);
    expect(localStackPython({ ...host, mode: 'docker' }).ok).toBe(true);
  });
});
