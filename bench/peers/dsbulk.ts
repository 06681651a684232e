// A second peer: DSBulk (the DataStax Bulk Loader, from its modules on Maven Central), loading each
// table's CSV with its defaults (statements batched by partition key).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findJdk } from '../../scripts/stack/java';
import { runCommand } from '../../scripts/stack/proc';
import type { StackSettings } from '../../scripts/stack/settings';
import { runWithCpu } from '../cpu';
import type { PeerTarget } from './cqlsh';

export const DSBULK_VERSION = '1.10.0';

export async function ensureDsbulk(
  s: StackSettings,
  log: (m: string) => void,
): Promise<{ java: string; classpath: string }> {
  const jdk = findJdk(process.env.JAVA_HOME);
  const dir = join(s.cacheDir, `dsbulk-${DSBULK_VERSION}`);
  const cpFile = join(dir, 'classpath.txt');
  if (!existsSync(cpFile)) {
    log(`resolving DSBulk ${DSBULK_VERSION} from Maven Central`);
    mkdirSync(dir, { recursive: true });
    const r = await runCommand(
      'mvn',
      [
        '-B',
        '-q',
        '-f',
        join(__dirname, 'dsbulk-pom.xml'),
        `-Ddsbulk.version=${DSBULK_VERSION}`,
        'dependency:build-classpath',
        `-Dmdep.outputFile=${cpFile}`,
      ],
      { ...process.env, JAVA_HOME: jdk.home },
    );
    if (r.status !== 0) throw new Error(`Maven could not resolve DSBulk:\n${r.output}`);
  }
  return { java: jdk.java, classpath: readFileSync(cpFile, 'utf8').trim() };
}

/** Loads one CSV into one table; its wall and CPU time in ms (JVM start-up included). */
export async function dsbulkLoad(
  dsbulk: { java: string; classpath: string },
  { stack, node, keyspace }: PeerTarget,
  table: string,
  file: string,
  logDir: string,
): Promise<{ wallMs: number; cpuMs: number }> {
  const started = performance.now();
  const r = await runWithCpu(stack, dsbulk.java, [
    '-Xmx1g',
    '-cp',
    dsbulk.classpath,
    'com.datastax.oss.dsbulk.runner.DataStaxBulkLoader',
    'load',
    '-h',
    node.host,
    '-port',
    String(node.port),
    '-k',
    keyspace,
    '-t',
    table,
    '-url',
    file,
    '-header',
    'true',
    '--log.directory',
    logDir,
  ]);
  const ms = performance.now() - started;
  if (r.status !== 0 || !/completed successfully/.test(r.output)) {
    throw new Error(`DSBulk load into ${table} failed:\n${r.output.slice(-2000)}`);
  }
  return { wallMs: ms, cpuMs: r.cpuMs };
}
