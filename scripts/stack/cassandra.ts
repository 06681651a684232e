// A real single-node Apache Cassandra 5.0, run as a background JVM on the host: cassandra-all and its
// dependencies come from Maven Central (cached in ~/.m2, the classpath file in the user cache), the
// configuration from stack/cassandra/, data and logs in .local/cassandra/.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findJdk, type Jdk } from './java';
import { cqlReleaseVersion, waitFor } from './probes';
import {
  isRunning,
  liveProcess,
  portInUse,
  rssMiB,
  runCommand,
  startDetached,
  stopRecorded,
  tail,
} from './proc';
import {
  CASSANDRA_HOST,
  CASSANDRA_PORT,
  type StackSettings,
  seconds,
  stackConfigDir,
  stackLog,
} from './settings';

export const CASSANDRA_VERSION = '5.0.8';
const STORAGE_PORT = 7000;
const JMX_PORT = 7199;
const START_TIMEOUT_MS = 240_000;
const confDir = join(stackConfigDir, 'cassandra');

export interface CassandraPaths {
  /** Cassandra's storage dir: data/, commitlog/, hints/, saved_caches/ and cdc_raw/ go under it. */
  root: string;
  logs: string;
  pidFile: string;
  stdoutLog: string;
}

export function cassandraPaths(s: StackSettings): CassandraPaths {
  const root = join(s.localDir, 'cassandra');
  return {
    root,
    logs: join(root, 'logs'),
    pidFile: join(root, 'cassandra.pid'),
    stdoutLog: join(root, 'logs', 'stdout.log'),
  };
}

function classpathFile(s: StackSettings): string {
  return join(s.cacheDir, `cassandra-${CASSANDRA_VERSION}`, 'classpath.txt');
}

/** The cached classpath, if every jar on it is still present (~/.m2 may have been cleaned). */
function cachedClasspath(s: StackSettings): string | undefined {
  const file = classpathFile(s);
  if (!existsSync(file)) return undefined;
  const cp = readFileSync(file, 'utf8').trim();
  const jars = cp.split(':');
  return jars.length > 10 && jars.every((jar) => existsSync(jar)) ? cp : undefined;
}

export function hostPrerequisites(s: StackSettings): { ok: true; jdk: Jdk } | { ok: false; reason: string } {
  try {
    const jdk = findJdk(process.env.JAVA_HOME);
    if (cachedClasspath(s) === undefined && spawnSync('mvn', ['-v']).status !== 0) {
      return { ok: false, reason: 'Maven (mvn) is not on PATH; it resolves Cassandra from Maven Central' };
    }
    return { ok: true, jdk };
  } catch (err: unknown) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

async function resolveClasspath(s: StackSettings, jdk: Jdk): Promise<string> {
  const cached = cachedClasspath(s);
  if (cached) return cached;
  const file = classpathFile(s);
  mkdirSync(join(file, '..'), { recursive: true });
  stackLog(
    `cassandra: fetching org.apache.cassandra:cassandra-all:${CASSANDRA_VERSION} and its dependencies ` +
      'from Maven Central into ~/.m2 (first run only, about 90 MB)',
  );
  const started = Date.now();
  const mvn = await runCommand(
    'mvn',
    [
      '-B',
      '-q',
      '-f',
      join(confDir, 'pom.xml'),
      `-Dcassandra.version=${CASSANDRA_VERSION}`,
      'dependency:build-classpath',
      `-Dmdep.outputFile=${file}`,
    ],
    { ...process.env, JAVA_HOME: jdk.home },
  );
  if (mvn.status !== 0) {
    throw new Error(`Maven could not resolve cassandra-all ${CASSANDRA_VERSION}:\n${mvn.output}`);
  }
  const cp = cachedClasspath(s);
  if (!cp) throw new Error(`Maven finished but ${file} does not list the expected jars`);
  stackLog(`cassandra: resolved ${cp.split(':').length} jars in ${seconds(Date.now() - started)}`);
  return cp;
}

function jvmOptions(): string[] {
  return readFileSync(join(confDir, 'jvm17.options'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('-'));
}

async function assertPortsFree(): Promise<void> {
  for (const port of [CASSANDRA_PORT, STORAGE_PORT, JMX_PORT]) {
    if (await portInUse(port)) {
      throw new Error(
        `port ${port} on 127.0.0.1 is taken by another process; the local Cassandra needs ` +
          `${CASSANDRA_PORT} (CQL), ${STORAGE_PORT} (storage) and ${JMX_PORT} (JMX). ` +
          'Stop that process, or point CASSANDRA_CONTACT_POINTS at a Cassandra you run yourself.',
      );
    }
  }
}

export const cassandraEndpoint = `${CASSANDRA_HOST}:${CASSANDRA_PORT}`;

/** Starts the host JVM (the caller has checked nothing answers yet). Resolves once CQL answers. */
export async function startCassandraOnHost(s: StackSettings, jdk: Jdk): Promise<{ version: string }> {
  const paths = cassandraPaths(s);
  const started = Date.now();
  const classpath = await resolveClasspath(s, jdk);
  await assertPortsFree();
  mkdirSync(paths.logs, { recursive: true });
  stackLog(
    `cassandra: starting ${CASSANDRA_VERSION} on JDK ${jdk.major} (${jdk.home}), heap ${s.cassandraHeap}, ` +
      `data in ${paths.root}`,
  );
  const marker = `-Dtracklog.stack=${s.localDir}`;
  const rec = startDetached({
    command: jdk.java,
    args: [
      marker,
      `-Xms${s.cassandraHeap}`,
      `-Xmx${s.cassandraHeap}`,
      ...jvmOptions(),
      `-Dcassandra.config=file://${join(confDir, 'cassandra.yaml')}`,
      `-Dcassandra.storagedir=${paths.root}`,
      `-Dcassandra.logdir=${paths.logs}`,
      `-Dlogback.configurationFile=file://${join(confDir, 'logback.xml')}`,
      `-Dcassandra.jmx.local.port=${JMX_PORT}`,
      '-Dcassandra-foreground=yes',
      '-cp',
      classpath,
      'org.apache.cassandra.service.CassandraDaemon',
    ],
    env: { ...process.env, JAVA_HOME: jdk.home },
    cwd: paths.root,
    logFile: paths.stdoutLog,
    pidFile: paths.pidFile,
    marker,
  });
  try {
    const version = await waitFor(() => cqlReleaseVersion([cassandraEndpoint]), {
      timeoutMs: START_TIMEOUT_MS,
      intervalMs: 1000,
      alive: () => isRunning(rec.pid),
      what: 'Cassandra',
    });
    stackLog(`cassandra: ready in ${seconds(Date.now() - started)} (CQL ${version} at ${cassandraEndpoint})`);
    return { version };
  } catch (err: unknown) {
    const logs = `--- ${paths.stdoutLog}\n${tail(paths.stdoutLog, 15)}\n--- ${join(paths.logs, 'system.log')}\n${tail(join(paths.logs, 'system.log'), 15)}`;
    await stopRecorded(paths.pidFile, 10_000);
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${logs}`);
  }
}

export function hostCassandraProcess(
  s: StackSettings,
): { pid: number; rssMiB: number | undefined } | undefined {
  const rec = liveProcess(cassandraPaths(s).pidFile);
  return rec ? { pid: rec.pid, rssMiB: rssMiB(rec.pid) } : undefined;
}

/** Cassandra drains on SIGTERM (flushes memtables); give it time before forcing. */
export function stopHostCassandra(s: StackSettings): Promise<boolean> {
  return stopRecorded(cassandraPaths(s).pidFile, 60_000);
}
