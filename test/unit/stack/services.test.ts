// The service table and how each Cassandra node is laid out, configured and started.
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cassandraArgs,
  cassandraHeap,
  cassandraNode,
  cassandraNodeLayout,
  knownCassandraNodes,
  nodeConfig,
  withYamlOverrides,
} from '../../../scripts/stack/cassandra';
import { formatStates, stackServices } from '../../../scripts/stack/index';
import { localStack, localStackEnv } from '../../../scripts/stack/localstack';
import { readStackSettings, type StackSettings, stackConfigDir } from '../../../scripts/stack/settings';
import { configTakesTls } from '../../../scripts/stack/tls';

const s: StackSettings = {
  ...readStackSettings(),
  localDir: '/tmp/local',
  cassandraHeap: undefined,
  cassandraNodes: 1,
  externalCassandra: undefined,
  externalAws: undefined,
};

describe('the service table', () => {
  it('lists Cassandra node 1 where the single node has always lived, then LocalStack and the token issuer', () => {
    expect(stackServices(s).map((svc) => [svc.name, svc.compose, svc.pidFile, svc.endpoint])).toEqual([
      ['cassandra', 'cassandra', '/tmp/local/cassandra/cassandra.pid', '127.0.0.1:9042'],
      ['localstack', 'localstack', '/tmp/local/localstack/localstack.pid', 'http://127.0.0.1:4566'],
      ['issuer', undefined, '/tmp/local/issuer/issuer.pid', 'http://127.0.0.1:4580'],
    ]);
    expect(cassandraNodeLayout(s, 1)).toMatchObject({
      address: '127.0.0.1',
      ports: { cql: 9042, storage: 7000, jmx: 7199 },
      paths: { root: '/tmp/local/cassandra', logs: '/tmp/local/cassandra/logs' },
    });
  });

  it('lists three nodes in order, each after the one before, and only node 1 with a Docker fallback', () => {
    const table = stackServices({ ...s, cassandraNodes: 3 });
    expect(table.map((svc) => [svc.id, svc.node, svc.startAfter, svc.compose, svc.endpoint])).toEqual([
      ['cassandra', undefined, undefined, 'cassandra', '127.0.0.1:9042'],
      ['cassandra-2', 2, 'cassandra', undefined, '127.0.0.2:9042'],
      ['cassandra-3', 3, 'cassandra-2', undefined, '127.0.0.3:9042'],
      ['localstack', undefined, undefined, 'localstack', 'http://127.0.0.1:4566'],
      ['issuer', undefined, undefined, undefined, 'http://127.0.0.1:4580'],
    ]);
  });

  it('gives every further node its own address, folders, pid file and JMX port, and the same CQL and storage ports', () => {
    const [one, two, three] = [1, 2, 3].map((n) => cassandraNodeLayout(s, n));
    expect(three).toMatchObject({
      address: '127.0.0.3',
      ports: { cql: 9042, storage: 7000, jmx: 7399 },
      paths: { root: '/tmp/local/cassandra-3', config: '/tmp/local/cassandra-3/conf/cassandra.yaml' },
    });
    expect(two?.ports.jmx).toBe(7299);
    expect(new Set([one, two, three].map((n) => n?.paths.pidFile)).size).toBe(3);
  });

  it('points the services at the endpoints the user sets instead of their own, one Cassandra whatever the count', () => {
    const external = {
      ...s,
      cassandraNodes: 3,
      externalCassandra: 'db1:9042, db2:9042',
      externalAws: 'http://aws:4566',
    };
    expect(cassandraNode(external, 1).endpoint).toBe('db1:9042,db2:9042');
    expect(localStack(external).endpoint).toBe('http://aws:4566');
    expect(stackServices(external).map((svc) => svc.id)).toEqual(['cassandra', 'localstack', 'issuer']);
  });

  it('labels further nodes in the status table and keeps the single-node table as it was', () => {
    const base = { mode: 'host' as const, ready: true, startedNow: false, version: '5.0.8' };
    const text = formatStates([
      { ...base, service: 'cassandra', endpoint: '127.0.0.1:9042', pid: 11, rssMiB: 900 },
      {
        service: 'cassandra',
        endpoint: '127.0.0.2:9042',
        node: 2,
        ready: false,
        mode: 'none',
        startedNow: false,
      },
    ]);
    expect(text.split('\n')).toEqual([
      'service      mode  state    endpoint        version  pid  rss',
      'cassandra    host  ready    127.0.0.1:9042  5.0.8    11   900 MiB',
      'cassandra-2  none  stopped  127.0.0.2:9042',
    ]);
    expect(formatStates([{ ...base, service: 'cassandra', endpoint: '127.0.0.1:9042' }]).split('\n')[1]).toBe(
      'cassandra  host  ready  127.0.0.1:9042  5.0.8',
    );
  });
});

describe('knownCassandraNodes', () => {
  it('counts up to the highest node folder, 1 without any', () => {
    const localDir = mkdtempSync(join(tmpdir(), 'nodes-'));
    expect(knownCassandraNodes({ ...s, localDir })).toBe(1);
    mkdirSync(join(localDir, 'cassandra-3'));
    expect(knownCassandraNodes({ ...s, localDir })).toBe(3);
  });
});

describe('cassandraHeap', () => {
  it('keeps 1G for a single node and gives 512M to each node of a cluster, unless overridden', () => {
    expect(cassandraHeap(s, 1, 1)).toBe('1G');
    expect(cassandraHeap(s, 1, 3)).toBe('512M');
    expect(cassandraHeap(s, 2, 2)).toBe('512M');
    expect(cassandraHeap({ ...s, cassandraHeap: '768M' }, 3, 3)).toBe('768M');
  });
});

describe('nodeConfig', () => {
  const base = readFileSync(join(stackConfigDir, 'cassandra', 'cassandra.yaml'), 'utf8');
  const line = (yaml: string, key: string) => new RegExp(`^\\s*-? ?${key}:.*$`, 'm').exec(yaml)?.[0].trim();

  it("sets node 3's addresses, the one seed and the token allocation of a three-node cluster", () => {
    const yaml = nodeConfig(base, cassandraNodeLayout(s, 3), cassandraNodeLayout(s, 1), 3);
    expect(line(yaml, 'listen_address')).toBe('listen_address: 127.0.0.3');
    expect(line(yaml, 'rpc_address')).toBe('rpc_address: 127.0.0.3');
    expect(line(yaml, 'seeds')).toBe('- seeds: "127.0.0.1:7000"');
    expect(line(yaml, 'native_transport_port')).toBe('native_transport_port: 9042');
    expect(line(yaml, 'allocate_tokens_for_local_replication_factor')).toBe(
      'allocate_tokens_for_local_replication_factor: 3',
    );
    expect(line(yaml, 'cluster_name')).toBe(line(base, 'cluster_name'));
  });

  it('leaves the single node as the project file has it, but for the header', () => {
    const yaml = nodeConfig(base, cassandraNodeLayout(s, 1), cassandraNodeLayout(s, 1), 1);
    expect(yaml.split('\n').slice(1).join('\n')).toBe(base);
  });

  it('makes a node take clients over TLS only, with its own keystore, when started with --tls', () => {
    const plain = nodeConfig(base, cassandraNodeLayout(s, 2), cassandraNodeLayout(s, 1), 3);
    const yaml = nodeConfig(
      base,
      cassandraNodeLayout(s, 2),
      cassandraNodeLayout(s, 1),
      3,
      {},
      '/l/tls/node-127.0.0.2.p12',
    );
    expect(configTakesTls(plain)).toBe(false);
    expect(configTakesTls(yaml)).toBe(true);
    expect(yaml.startsWith(plain)).toBe(true);
    expect(
      yaml
        .slice(plain.length)
        .split('\n')
        .filter((l) => !l.startsWith('#')),
    ).toEqual([
      'client_encryption_options:',
      '  enabled: true',
      '  optional: false',
      '  keystore: /l/tls/node-127.0.0.2.p12',
      '  keystore_password: tracklog-local',
      '  store_type: PKCS12',
      '  require_client_auth: false',
      '',
    ]);
    expect(() =>
      nodeConfig(
        `${base}client_encryption_options:\n  enabled: false\n`,
        cassandraNodeLayout(s, 2),
        cassandraNodeLayout(s, 1),
        3,
        {},
        '/k.p12',
      ),
    ).toThrow('sets client_encryption_options');
  });

  it('refuses a project file that lacks a setting it must set', () => {
    expect(() =>
      nodeConfig(
        base.replace(/^rpc_address:.*$/m, ''),
        cassandraNodeLayout(s, 2),
        cassandraNodeLayout(s, 1),
        2,
      ),
    ).toThrow('rpc_address');
  });
});

describe('commit-log overrides for one start', () => {
  const base = readFileSync(join(stackConfigDir, 'cassandra', 'cassandra.yaml'), 'utf8');
  const line = (yaml: string, key: string) => new RegExp(`^${key}:.*$`, 'm').exec(yaml)?.[0];
  const group = { commitlog_sync: 'group', commitlog_sync_group_window: '15ms', commitlog_sync_period: null };

  it('replaces a setting, leaves one out and adds one the file lacks, naming them in the header', () => {
    const yaml = nodeConfig(base, cassandraNodeLayout(s, 1), cassandraNodeLayout(s, 1), 1, group);
    expect(line(yaml, 'commitlog_sync')).toBe('commitlog_sync: group');
    expect(line(yaml, 'commitlog_sync_group_window')).toBe('commitlog_sync_group_window: 15ms');
    expect(line(yaml, 'commitlog_sync_period')).toBeUndefined();
    expect(yaml.split('\n')[1]).toBe(
      '# Overridden for this start: commitlog_sync=group, commitlog_sync_group_window=15ms, -commitlog_sync_period',
    );
    // Everything else is the project file's, and the node's own settings still apply.
    expect(line(yaml, 'commitlog_total_space')).toBe(line(base, 'commitlog_total_space'));
    expect(line(yaml, 'listen_address')).toBe('listen_address: 127.0.0.1');
    expect(yaml.match(/^commitlog_sync:/gm)).toHaveLength(1);
  });

  it('sets periodic back with its period, whatever the file says', () => {
    const grouped = withYamlOverrides(base, group);
    const periodic = withYamlOverrides(grouped, {
      commitlog_sync: 'periodic',
      commitlog_sync_period: '10000ms',
      commitlog_sync_group_window: null,
    });
    expect(line(periodic, 'commitlog_sync')).toBe('commitlog_sync: periodic');
    expect(line(periodic, 'commitlog_sync_period')).toBe('commitlog_sync_period: 10000ms');
    expect(line(periodic, 'commitlog_sync_group_window')).toBeUndefined();
  });

  it('refuses a key or a value that would change the YAML beyond one plain setting', () => {
    expect(() => withYamlOverrides(base, { 'seed_provider:\n  x': 'y' })).toThrow('not a plain setting name');
    expect(() => withYamlOverrides(base, { commitlog_sync: 'batch\nauthenticator: x' })).toThrow(
      'not a plain one-line value',
    );
    expect(() => withYamlOverrides(base, { commitlog_sync: 'batch # no' })).toThrow(
      'not a plain one-line value',
    );
  });
});

describe('cassandraArgs', () => {
  it('starts a node with its own heap, config, folders and JMX port, and the shared start-up flags', () => {
    const node = cassandraNodeLayout(s, 2);
    const args = cassandraArgs(node, '512M', '/cp', '-Dtracklog.stack=/tmp/local/cassandra-2/');
    expect(args).toEqual(
      expect.arrayContaining([
        '-Xms512M',
        '-Xmx512M',
        '-Dcassandra.config=file:///tmp/local/cassandra-2/conf/cassandra.yaml',
        '-Dcassandra.storagedir=/tmp/local/cassandra-2',
        '-Dcassandra.jmx.local.port=7299',
        '-Dcassandra.skip_wait_for_gossip_to_settle=0',
        '-Dcassandra.ring_delay_ms=1000',
      ]),
    );
    expect(args.slice(-3)).toEqual(['-cp', '/cp', 'org.apache.cassandra.service.CassandraDaemon']);
  });
});

describe('localStackEnv', () => {
  it('serves on 127.0.0.1 alone, through the runtime server that honours the host (hypercorn)', () => {
    expect(localStackEnv('/tmp/ls')).toMatchObject({
      GATEWAY_LISTEN: '127.0.0.1:4566',
      GATEWAY_SERVER: 'hypercorn',
      DNS_ADDRESS: '0',
      FILESYSTEM_ROOT: '/tmp/ls/fs',
    });
  });
});
