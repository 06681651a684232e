import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
