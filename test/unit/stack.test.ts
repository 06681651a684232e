import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ComposeService } from '../../scripts/stack/docker';
import {
  localStackPython,
  type ServiceStarter,
  type ServiceState,
  stackUpWith,
} from '../../scripts/stack/index';
import { findJdk, jdkMajor } from '../../scripts/stack/java';
import { liveProcess, readPidFile } from '../../scripts/stack/proc';
import { readStackSettings } from '../../scripts/stack/settings';

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

describe('stackUpWith', () => {
  const settings = readStackSettings();
  const state = (service: ComposeService, startedNow: boolean): ServiceState => ({
    service,
    mode: 'host',
    endpoint: service,
    ready: true,
    startedNow,
  });
  /** Already running: never calls launching. */
  const running =
    (service: ComposeService): ServiceStarter =>
    async () =>
      state(service, false);
  /** Starts the service, after a tick so the other starter runs side by side. */
  const starts =
    (service: ComposeService): ServiceStarter =>
    async (_s, launching) => {
      launching();
      await new Promise((r) => setTimeout(r, 5));
      return state(service, true);
    };
  const failsAfterStarting =
    (message: string): ServiceStarter =>
    async (_s, launching) => {
      launching();
      throw new Error(message);
    };
  const failsBeforeStarting =
    (message: string): ServiceStarter =>
    async () => {
      throw new Error(message);
    };
  const recordingStop = (result: (only: readonly ComposeService[]) => string[] = (o) => [...o]) => {
    const calls: ComposeService[][] = [];
    return {
      calls,
      stop: async (_s: unknown, only: readonly ComposeService[]) => {
        calls.push([...only]);
        return result(only);
      },
    };
  };

  it('stops the service it started when the other one fails, and names both in the error', async () => {
    const { calls, stop } = recordingStop();
    const up = stackUpWith(
      {
        starters: {
          cassandra: failsBeforeStarting('cannot start Cassandra: no JDK'),
          localstack: starts('localstack'),
        },
        stop,
      },
      settings,
    );
    await expect(up).rejects.toThrow('cannot start Cassandra: no JDK');
    await expect(up).rejects.toThrow('stopped again what this start had started: localstack');
    expect(calls).toEqual([['localstack']]);
  });

  it('also stops a service whose own start failed after launching it (a container that never got healthy)', async () => {
    const { calls, stop } = recordingStop();
    await expect(
      stackUpWith(
        {
          starters: {
            cassandra: starts('cassandra'),
            localstack: failsAfterStarting('LocalStack was not ready'),
          },
          stop,
        },
        settings,
      ),
    ).rejects.toThrow('LocalStack was not ready');
    expect(calls).toHaveLength(1);
    expect([...(calls[0] ?? [])].sort()).toEqual(['cassandra', 'localstack']);
  });

  it('never stops a service that was already running before the call', async () => {
    const { calls, stop } = recordingStop();
    await expect(
      stackUpWith(
        {
          starters: { cassandra: running('cassandra'), localstack: failsBeforeStarting('no Python >= 3.12') },
          stop,
        },
        settings,
      ),
    ).rejects.toThrow('no Python >= 3.12');
    expect(calls).toEqual([]);
  });

  it('still throws the start error when stopping fails, and says what could not be stopped', async () => {
    const stop = async () => {
      throw new Error('pid file unreadable');
    };
    await expect(
      stackUpWith(
        { starters: { cassandra: failsBeforeStarting('boom'), localstack: starts('localstack') }, stop },
        settings,
      ),
    ).rejects.toThrow(/boom[\s\S]*could not stop localstack again: pid file unreadable/);
  });

  it('stops nothing on success and tells the caller each service as it starts', async () => {
    const { calls, stop } = recordingStop();
    const announced: ComposeService[] = [];
    const states = await stackUpWith(
      { starters: { cassandra: running('cassandra'), localstack: starts('localstack') }, stop },
      settings,
      { onStart: (service) => announced.push(service) },
    );
    expect(states.map((s) => [s.service, s.startedNow])).toEqual([
      ['cassandra', false],
      ['localstack', true],
    ]);
    expect(announced).toEqual(['localstack']);
    expect(calls).toEqual([]);
  });
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
