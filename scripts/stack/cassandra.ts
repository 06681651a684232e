// A real Apache Cassandra 5.0 node, run as a background JVM on the host: cassandra-all and its
// dependencies come from Maven Central (cached in ~/.m2, the classpath file in the user cache), the
// configuration from stack/cassandra/, data and logs in .local/cassandra/.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findJdk, type Jdk } from './java';
import { cqlReleaseVersion } from './probes';
import { portInUse, runCommand } from './proc';
import { launchOnHost, type StackService } from './service';
import { CASSANDRA_PORT, type StackSettings, seconds, stackConfigDir, stackLog } from './settings';

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

/** Where node n lives and listens; node 1 is the single node the stack has always run. */
export interface CassandraNode {
  /** Its name in log lines and its folder under .local: cassandra, cassandra-2, … */
  label: string;
  /** Its name in messages. */
  title: string;
  address: string;
  ports: { cql: number; storage: number; jmx: number };
  paths: CassandraPaths;
}

export function cassandraNodeLayout(s: StackSettings, n: number): CassandraNode {
  const label = n === 1 ? 'cassandra' : `cassandra-${n}`;
  const root = join(s.localDir, label);
  return {
    label,
    title: n === 1 ? 'Cassandra' : `Cassandra node ${n}`,
    // Nodes share the ports and differ in address (127.0.0.1, 127.0.0.2, …), as in a real cluster…
    address: `127.0.0.${n}`,
    // …except JMX, which Cassandra binds to 127.0.0.1 whatever the node's address.
    ports: { cql: CASSANDRA_PORT, storage: STORAGE_PORT, jmx: JMX_PORT + 100 * (n - 1) },
    paths: {
      root,
      logs: join(root, 'logs'),
      pidFile: join(root, 'cassandra.pid'),
      stdoutLog: join(root, 'logs', 'stdout.log'),
    },
  };
}

/** Cassandra node n as the ladder sees it. */
export function cassandraNode(s: StackSettings, n: number): StackService {
  const node = cassandraNodeLayout(s, n);
  const contactPoints = (s.externalCassandra ?? `${node.address}:${node.ports.cql}`)
    .split(',')
    .map((p) => p.trim());
  return {
    // Every node belongs to the one service: `down` and `onStart` speak of services.
    name: 'cassandra',
    title: node.title,
    address: node.address,
    port: node.ports.cql,
    endpoint: contactPoints.join(','),
    external: s.externalCassandra,
    externalSetting: 'CASSANDRA_CONTACT_POINTS',
    pidFile: node.paths.pidFile,
    hostPrerequisites: () => {
      const host = cassandraPrerequisites(s);
      return host.ok ? { ok: true, start: () => startCassandraOnHost(s, node, host.jdk) } : host;
    },
    compose: 'cassandra',
    probe: () => cqlReleaseVersion(contactPoints),
    probeIntervalMs: 1000,
    waitMs: { ours: START_TIMEOUT_MS, external: 60_000, portTaken: 30_000 },
    // Cassandra drains on SIGTERM (flushes memtables); give it time before forcing.
    stopGraceMs: 60_000,
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

function cassandraPrerequisites(s: StackSettings): { ok: true; jdk: Jdk } | { ok: false; reason: string } {
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

async function assertPortsFree(node: CassandraNode): Promise<void> {
  const { cql, storage, jmx } = node.ports;
  const wanted: [number, string][] = [
    [cql, node.address],
    [storage, node.address],
    [jmx, '127.0.0.1'],
  ];
  for (const [port, address] of wanted) {
    if (await portInUse(port, address)) {
      throw new Error(
        `port ${port} on ${address} is taken by another process; the local Cassandra needs ` +
          `${cql} (CQL), ${storage} (storage) and ${jmx} (JMX). ` +
          'Stop that process, or point CASSANDRA_CONTACT_POINTS at a Cassandra you run yourself.',
      );
    }
  }
}

/** Starts the node's JVM (the caller has checked nothing answers yet). Resolves once CQL answers. */
async function startCassandraOnHost(s: StackSettings, node: CassandraNode, jdk: Jdk): Promise<string> {
  const { paths } = node;
  const endpoint = `${node.address}:${node.ports.cql}`;
  const started = Date.now();
  const classpath = await resolveClasspath(s, jdk);
  await assertPortsFree(node);
  mkdirSync(paths.logs, { recursive: true });
  stackLog(
    `${node.label}: starting ${CASSANDRA_VERSION} on JDK ${jdk.major} (${jdk.home}), heap ${s.cassandraHeap}, ` +
      `data in ${paths.root}`,
  );
  const marker = `-Dtracklog.stack=${s.localDir}`;
  const version = await launchOnHost({
    process: {
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
        `-Dcassandra.jmx.local.port=${node.ports.jmx}`,
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
    },
    ready: () => cqlReleaseVersion([endpoint]),
    readyTimeoutMs: START_TIMEOUT_MS,
    readyIntervalMs: 1000,
    title: node.title,
    logs: [paths.stdoutLog, join(paths.logs, 'system.log')],
    logLines: 15,
    abortGraceMs: 10_000,
  });
  stackLog(`${node.label}: ready in ${seconds(Date.now() - started)} (CQL ${version} at ${endpoint})`);
  return version;
}
