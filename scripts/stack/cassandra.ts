// Real Apache Cassandra 5.0 nodes, each a background JVM on the host: cassandra-all and its
// dependencies come from Maven Central (cached in ~/.m2, the classpath file in the user cache), the
// configuration from stack/cassandra/ (each node's cassandra.yaml generated from it), data and logs in
// .local/cassandra/ (node 1, the single node of the default stack) and .local/cassandra-<n>/.
//
// A local cluster is laid out the way ccm (riptano/ccm, ccmlib/cluster.py `populate`) lays one out:
// node n listens on 127.0.0.<n> (Linux routes all of 127.0.0.0/8 to loopback) with the same CQL and
// storage ports on every address, one JMX port per node 100 apart, and its own folder. Unlike ccm, not
// every node is a seed: node 1 is the only one (one seed list, `seeds: 127.0.0.1:7000`), so further
// nodes bootstrap, streaming their ranges from the ring, and adding nodes to a single node that holds
// data keeps that data readable (ccm creates empty clusters and joins them with auto_bootstrap: false).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { startedWithDocker } from './docker';
import { findJdk, type Jdk } from './java';
import { cqlReleaseVersion } from './probes';
import { portInUse, runCommand } from './proc';
import { launchOnHost, type StackService } from './service';
import {
  CASSANDRA_PORT,
  MAX_CASSANDRA_NODES,
  type StackSettings,
  seconds,
  stackConfigDir,
  stackLog,
} from './settings';
import {
  clientEncryptionYaml,
  configTakesTls,
  ensureNodeKeystore,
  stackClientTls,
  stackTlsPaths,
} from './tls';

export const CASSANDRA_VERSION = '5.0.8';
const STORAGE_PORT = 7000;
const JMX_PORT = 7199;
const START_TIMEOUT_MS = 240_000;
/**
 * Starts of one node in all when each fails for a reason a new start passes (startFailurePasses).
 * One retry was enough in every failure seen; the third start is margin, and a bound, so that a
 * seed that never answers is reported in minutes rather than retried forever.
 */
export const NODE_START_TRIES = 3;
export const confDir = join(stackConfigDir, 'cassandra');

export interface CassandraPaths {
  /** Cassandra's storage dir: data/, commitlog/, hints/, saved_caches/ and cdc_raw/ go under it. */
  root: string;
  logs: string;
  pidFile: string;
  stdoutLog: string;
  /** The node's cassandra.yaml, generated from stack/cassandra/cassandra.yaml at each start. */
  config: string;
}

/** Where node n lives and listens; node 1 is the single node the stack has always run. */
export interface CassandraNode {
  n: number;
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
    n,
    label,
    title: n === 1 ? 'Cassandra' : `Cassandra node ${n}`,
    // Nodes share the ports and differ in address (127.0.0.1, 127.0.0.2, …), as in a real cluster…
    address: `127.0.0.${n}`,
    // …except JMX, which Cassandra binds to 127.0.0.1 whatever the node's address: one port per node,
    // 100 apart as ccm spaces them (7100, 7200, …), from 7199 so that node 1 keeps nodetool's default.
    ports: { cql: CASSANDRA_PORT, storage: STORAGE_PORT, jmx: JMX_PORT + 100 * (n - 1) },
    paths: {
      root,
      logs: join(root, 'logs'),
      pidFile: join(root, 'cassandra.pid'),
      stdoutLog: join(root, 'logs', 'stdout.log'),
      config: join(root, 'conf', 'cassandra.yaml'),
    },
  };
}

/**
 * How many nodes this stack has had: the highest n whose folder exists (1 when only node 1's may).
 * A node's folder stays after `down` (it is still a member of node 1's ring) until `stack:node --
 * remove <n>` takes the node out of the ring.
 */
export function knownCassandraNodes(s: StackSettings): number {
  for (let n = MAX_CASSANDRA_NODES; n > 1; n--) {
    if (existsSync(cassandraNodeLayout(s, n).paths.root)) return n;
  }
  return 1;
}

/**
 * A node's heap: TRACKLOG_CASSANDRA_HEAP when set, else 1G for a single node (as always) and 512M for
 * each node of a cluster (three nodes fit beside everything else on a 2-core, 24 GB machine).
 */
export function cassandraHeap(s: StackSettings, n: number, clusterSize: number): string {
  return s.cassandraHeap ?? (n === 1 && clusterSize === 1 ? '1G' : '512M');
}

/** A top-level key of cassandra.yaml that overrides may set: a plain lowercase name. */
const YAML_KEY = /^[a-z][a-z0-9_]*$/;
/** A value overrides may set: a plain scalar on one line (no YAML structure, no comment). */
const YAML_SCALAR = /^[A-Za-z0-9_.:/-]+$/;

/**
 * The project file with some top-level settings replaced (value), left out (null) or added at the
 * end when the file lacks them. Only plain keys and one-line scalar values: a value that would
 * change the YAML's structure is refused.
 */
export function withYamlOverrides(yaml: string, overrides: Readonly<Record<string, string | null>>): string {
  let out = yaml;
  const added: string[] = [];
  for (const [key, value] of Object.entries(overrides)) {
    if (!YAML_KEY.test(key)) throw new Error(`cassandra.yaml override: "${key}" is not a plain setting name`);
    if (value !== null && !YAML_SCALAR.test(value))
      throw new Error(`cassandra.yaml override: ${key}: "${value}" is not a plain one-line value`);
    const line = new RegExp(`^${key}:.*(?:\n|$)`, 'm');
    if (line.test(out)) out = out.replace(line, value === null ? '' : `${key}: ${value}\n`);
    else if (value !== null) added.push(`${key}: ${value}`);
  }
  if (added.length === 0) return out;
  return `${out}${out.endsWith('\n') ? '' : '\n'}${added.join('\n')}\n`;
}

/**
 * Node n's cassandra.yaml: the project's file with the node's own addresses and the one seed list.
 * Tokens are allocated for min(3, cluster size) replicas, as ccm pre-generates them (`generate-tokens
 * --rf min(3, nodes)`) and Cassandra 4+ ships (`allocate_tokens_for_local_replication_factor: 3`); it
 * counts only at a node's first start, so a single node keeps the 1 it has always had. `overrides`
 * (the settings' cassandraYaml) come last, and the header names them.
 */
export function nodeConfig(
  base: string,
  node: CassandraNode,
  seed: CassandraNode,
  clusterSize: number,
  overrides: Readonly<Record<string, string | null>> = {},
  tlsKeystore?: string,
): string {
  const settings: [RegExp, string][] = [
    [/^listen_address:.*$/m, `listen_address: ${node.address}`],
    [/^rpc_address:.*$/m, `rpc_address: ${node.address}`],
    [/^(\s*- seeds:).*$/m, `$1 "${seed.address}:${seed.ports.storage}"`],
    [/^storage_port:.*$/m, `storage_port: ${node.ports.storage}`],
    [/^native_transport_port:.*$/m, `native_transport_port: ${node.ports.cql}`],
    [
      /^allocate_tokens_for_local_replication_factor:.*$/m,
      `allocate_tokens_for_local_replication_factor: ${Math.min(3, clusterSize)}`,
    ],
  ];
  let yaml = base;
  for (const [line, value] of settings) {
    if (!line.test(yaml)) throw new Error(`stack/cassandra/cassandra.yaml has no line matching ${line}`);
    yaml = yaml.replace(line, value);
  }
  if (tlsKeystore !== undefined) {
    if (/^client_encryption_options:/m.test(yaml))
      throw new Error('stack/cassandra/cassandra.yaml sets client_encryption_options; --tls sets it itself');
    yaml = `${yaml}${yaml.endsWith('\n') ? '' : '\n'}${clientEncryptionYaml(tlsKeystore)}`;
  }
  const header = `# Generated for ${node.title} (${node.address}) from stack/cassandra/cassandra.yaml at each start; edit that file.\n`;
  const keys = Object.entries(overrides).map(([k, v]) => (v === null ? `-${k}` : `${k}=${v}`));
  if (keys.length === 0) return `${header}${yaml}`;
  return `${header}# Overridden for this start: ${keys.join(', ')}\n${withYamlOverrides(yaml, overrides)}`;
}

/** Cassandra node n as the ladder sees it; clusterSize counts the nodes it runs beside. */
export function cassandraNode(s: StackSettings, n: number, clusterSize = 1): StackService {
  const node = cassandraNodeLayout(s, n);
  const own = `${node.address}:${node.ports.cql}`;
  const contactPoints = (s.externalCassandra ?? own).split(',').map((p) => p.trim());
  const size = Math.max(clusterSize, n);
  return {
    // Every node belongs to the one service: `down` and `onStart` speak of services.
    name: 'cassandra',
    id: n === 1 ? 'cassandra' : node.label,
    ...(n > 1 ? { node: n } : {}),
    title: node.title,
    address: node.address,
    port: node.ports.cql,
    endpoint: contactPoints.join(','),
    external: s.externalCassandra,
    externalSetting: 'CASSANDRA_CONTACT_POINTS',
    pidFile: node.paths.pidFile,
    hostPrerequisites: () => {
      // Node 1 in Docker listens on its container's address: a node on the host cannot gossip with it.
      if (n > 1 && startedWithDocker(s, 'cassandra')) {
        return { ok: false, reason: 'node 1 runs in Docker; a local cluster runs on the host only' };
      }
      const host = cassandraPrerequisites(s);
      return host.ok ? { ok: true, start: () => startCassandraOnHost(s, node, size, host.jdk) } : host;
    },
    // docker-compose.yml has the one node; a cluster's further nodes run on the host only.
    compose: n === 1 ? 'cassandra' : undefined,
    // A node joins through the seed, and only one node may bootstrap at a time (Cassandra refuses a
    // second while consistent.rangemovement is true), so each node starts once the one before is up.
    ...(n > 1 ? { startAfter: n === 2 ? 'cassandra' : cassandraNodeLayout(s, n - 1).label } : {}),
    // Our own node answers for itself only: in a cluster, any node would answer a query otherwise.
    probe: () =>
      cqlReleaseVersion(contactPoints, {
        only: s.externalCassandra === undefined,
        ...(s.externalCassandra === undefined ? nodeClientTls(s, node) : {}),
      }),
    probeIntervalMs: 1000,
    waitMs: { ours: START_TIMEOUT_MS, external: 60_000, portTaken: 30_000 },
    // Cassandra drains on SIGTERM (flushes memtables); give it time before forcing.
    stopGraceMs: 60_000,
  };
}

/**
 * The TLS a client of ours needs for node n as it runs now: the CA when the node's config (written
 * at its last start) takes clients over TLS only, none otherwise. Read from the node's own config, so
 * `status` and a probe speak to a running node as it was started, whatever this command's --tls says.
 */
export function nodeClientTls(s: StackSettings, node: CassandraNode): { tls?: ConnectionOptions } {
  const config = node.paths.config;
  if (!existsSync(config) || !configTakesTls(readFileSync(config, 'utf8'))) return {};
  return { tls: stackClientTls(stackTlsPaths(s).caFile) };
}

function classpathFile(s: StackSettings): string {
  return join(s.cacheDir, `cassandra-${CASSANDRA_VERSION}`, 'classpath.txt');
}

/** The cached classpath, if every jar on it is still present (~/.m2 may have been cleaned). */
export function cachedClasspath(s: StackSettings): string | undefined {
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

/** The flags of stack/cassandra/jvm17.options, one per line. */
export function jvmOptions(): string[] {
  return readFileSync(join(confDir, 'jvm17.options'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('-'));
}

/**
 * The java command line of a node: its heap, the shared flags, its own config, folders and JMX port.
 * `marker` ends in a slash so that node 1's (…/cassandra/) is not a prefix of node 2's (…/cassandra-2/).
 */
export function cassandraArgs(
  node: CassandraNode,
  heap: string,
  classpath: string,
  marker: string,
): string[] {
  const { paths } = node;
  return [
    marker,
    `-Xms${heap}`,
    `-Xmx${heap}`,
    ...jvmOptions(),
    `-Dcassandra.config=file://${paths.config}`,
    `-Dcassandra.storagedir=${paths.root}`,
    `-Dcassandra.logdir=${paths.logs}`,
    `-Dlogback.configurationFile=file://${join(confDir, 'logback.xml')}`,
    // cassandra.jmx.local.port binds JMX (and its RMI server) to 127.0.0.1 only (JMXServerUtils).
    `-Dcassandra.jmx.local.port=${node.ports.jmx}`,
    '-Dcassandra-foreground=yes',
    '-cp',
    classpath,
    'org.apache.cassandra.service.CassandraDaemon',
  ];
}

/**
 * Why a node's failed start would pass if made again, from what it logged during the start, or
 * undefined when it would fail the same way. Both reasons are about another node's timing, not this
 * node's configuration or data:
 * - the seed did not answer the gossip shadow round in time: a node that is not a seed gives up after
 *   2 x ring_delay (2 s here, jvm17.options) and exits with "Unable to contact any seeds" (or, in the
 *   shadow round itself, "Unable to gossip with any peers"). On two loaded cores the seed, busy with
 *   the node that joined before, can take longer; a new start finds it answering.
 * - the node before it has not been seen as normal yet by the node that is asked ("Other
 *   bootstrapping/leaving/moving nodes detected"): with consistent range movement Cassandra lets
 *   one node join at a time, and gossip brings the end of the last join a moment later.
 * Anything else (a port taken, a bad setting, a corrupt commit log, an out-of-memory) fails again.
 */
export function startFailurePasses(logged: string): string | undefined {
  if (/Unable to contact any seeds|Unable to gossip with any peers/.test(logged)) {
    return 'it could not reach the seed, node 1, in time';
  }
  if (/Other bootstrapping\/leaving\/moving nodes detected/.test(logged)) {
    return 'another node was still joining the ring as this one saw it';
  }
  return undefined;
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
async function startCassandraOnHost(
  s: StackSettings,
  node: CassandraNode,
  clusterSize: number,
  jdk: Jdk,
): Promise<string> {
  const { paths } = node;
  const endpoint = `${node.address}:${node.ports.cql}`;
  const started = Date.now();
  const classpath = await resolveClasspath(s, jdk);
  await assertPortsFree(node);
  mkdirSync(paths.logs, { recursive: true });
  mkdirSync(join(paths.config, '..'), { recursive: true });
  const base = readFileSync(join(confDir, 'cassandra.yaml'), 'utf8');
  const tls = s.cassandraTls ? await ensureNodeKeystore(s, jdk, node.address) : undefined;
  writeFileSync(
    paths.config,
    nodeConfig(base, node, cassandraNodeLayout(s, 1), clusterSize, s.cassandraYaml, tls?.keystore),
  );
  const heap = cassandraHeap(s, node.n, clusterSize);
  stackLog(
    `${node.label}: starting ${CASSANDRA_VERSION} on JDK ${jdk.major} (${jdk.home}), heap ${heap}, ` +
      `${node.address}${tls ? ', clients over TLS only' : ''}, data in ${paths.root}`,
  );
  const marker = `-Dtracklog.stack=${paths.root}/`;
  const version = await launchOnHost({
    process: {
      command: jdk.java,
      args: cassandraArgs(node, heap, classpath, marker),
      env: { ...process.env, JAVA_HOME: jdk.home },
      cwd: paths.root,
      logFile: paths.stdoutLog,
      pidFile: paths.pidFile,
      marker,
    },
    ready: () =>
      cqlReleaseVersion([endpoint], { only: true, ...(tls ? { tls: stackClientTls(tls.caFile) } : {}) }),
    readyTimeoutMs: START_TIMEOUT_MS,
    readyIntervalMs: 1000,
    title: node.title,
    logs: [paths.stdoutLog, join(paths.logs, 'system.log')],
    logLines: 15,
    abortGraceMs: 10_000,
    // Only a node that joins through the seed can fail for another node's timing.
    ...(node.n > 1
      ? {
          passingFailure: startFailurePasses,
          tries: NODE_START_TRIES,
          onRetry: (nextTry: number, reason: string) =>
            stackLog(
              `${node.label}: the start failed because ${reason}; starting it again (start ${nextTry} of ${NODE_START_TRIES})`,
            ),
        }
      : {}),
  });
  stackLog(`${node.label}: ready in ${seconds(Date.now() - started)} (CQL ${version} at ${endpoint})`);
  return version;
}
