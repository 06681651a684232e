import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findJdk, jdkMajor } from '../../../scripts/stack/java';

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
