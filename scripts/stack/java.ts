// Finds a JDK that Cassandra 5.0 runs on (11 or 17; it refuses newer ones at start).
// JAVA_HOME wins when it points at a supported JDK; otherwise the usual install folders are searched
// and 17 is preferred over 11.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface Jdk {
  home: string;
  major: number;
  java: string;
}

const SUPPORTED = [17, 11];

/** Major version of the JDK at home, from its `release` file, or by asking the java binary. */
export function jdkMajor(home: string): number | undefined {
  const release = join(home, 'release');
  let version: string | undefined;
  if (existsSync(release)) {
    version = /^JAVA_VERSION="([^"]+)"/m.exec(readFileSync(release, 'utf8'))?.[1];
  }
  if (version === undefined) {
    const java = join(home, 'bin', 'java');
    if (!existsSync(java)) return undefined;
    const out = spawnSync(java, ['-version'], { encoding: 'utf8' }).stderr ?? '';
    version = /version "([^"]+)"/.exec(out)?.[1];
  }
  if (version === undefined) return undefined;
  const [first, second] = version.split('.');
  const major = first === '1' ? Number(second) : Number(first);
  return Number.isInteger(major) ? major : undefined;
}

function candidateHomes(): string[] {
  const roots = [
    '/usr/lib/jvm',
    '/usr/java',
    '/opt/java',
    '/Library/Java/JavaVirtualMachines',
    join(homedir(), '.sdkman', 'candidates', 'java'),
  ];
  const homes: string[] = [];
  for (const root of roots) {
    if (!existsSync(root)) continue;
    for (const entry of readdirSync(root).sort()) {
      const macHome = join(root, entry, 'Contents', 'Home');
      homes.push(existsSync(macHome) ? macHome : join(root, entry));
    }
  }
  const onPath = spawnSync('sh', ['-c', 'command -v java'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) homes.push(dirname(dirname(realpathSync(onPath))));
  return homes;
}

export function findJdk(javaHome: string | undefined): Jdk {
  const seen: string[] = [];
  if (javaHome) {
    const major = jdkMajor(javaHome);
    if (major !== undefined && SUPPORTED.includes(major)) {
      return { home: javaHome, major, java: join(javaHome, 'bin', 'java') };
    }
    seen.push(`JAVA_HOME=${javaHome} (JDK ${major ?? 'unknown'})`);
  }
  const found: Jdk[] = [];
  const unique = new Set<string>();
  for (const home of candidateHomes()) {
    let real: string;
    try {
      real = realpathSync(home);
    } catch {
      continue;
    }
    if (unique.has(real)) continue;
    unique.add(real);
    const major = jdkMajor(real);
    if (major === undefined) continue;
    if (SUPPORTED.includes(major)) found.push({ home: real, major, java: join(real, 'bin', 'java') });
    else seen.push(`${real} (JDK ${major})`);
  }
  found.sort((a, b) => SUPPORTED.indexOf(a.major) - SUPPORTED.indexOf(b.major));
  const best = found[0];
  if (best) return best;
  throw new Error(
    [
      'Cassandra 5.0 needs a JDK 17 (or 11); none was found.',
      seen.length > 0 ? `Found only: ${seen.join(', ')}.` : 'No JDK was found at all.',
      'Install one (Debian/Ubuntu: apt-get install openjdk-17-jdk-headless; macOS: brew install openjdk@17)',
      'and/or point JAVA_HOME at it, or run the stack in Docker with TRACKLOG_STACK=docker.',
    ].join(' '),
  );
}
