// Reading the cluster's own view (nodetool status) and turning it into status output.
import {
  clusterHealthy,
  contactPointsLine,
  formatCluster,
  withClusterView,
} from '../../../scripts/stack/cluster';
import type { ServiceState } from '../../../scripts/stack/ladder';
import { parseNodetoolStatus } from '../../../scripts/stack/nodetool';

// As `nodetool status` printed it here: node 2 killed, node 3 still joining.
const STATUS = `Datacenter: datacenter1
=======================
Status=Up/Down
|/ State=Normal/Leaving/Joining/Moving
--  Address    Load        Tokens  Owns (effective)  Host ID                               Rack
UN  127.0.0.1  40.59 MiB   16      66.7%             d4d9c19c-68c0-4f35-9495-a710b77ea238  rack1
DN  127.0.0.2  104.3 KiB   16      67.1%             0b1c8a52-3f64-4a45-9a3e-7f6f0f4b2c11  rack1
UJ  127.0.0.3  ?           16      ?                 5e0a7a0e-2b4d-4c8e-8f0e-0f9a2d1e6c33  rack1

`;

describe('parseNodetoolStatus', () => {
  it('reads each member: address, up or down, normal or joining, load, ownership and host id', () => {
    expect(parseNodetoolStatus(STATUS)).toEqual([
      {
        address: '127.0.0.1',
        status: 'up',
        state: 'normal',
        load: '40.59 MiB',
        tokens: 16,
        owns: '66.7%',
        hostId: 'd4d9c19c-68c0-4f35-9495-a710b77ea238',
        rack: 'rack1',
      },
      expect.objectContaining({ address: '127.0.0.2', status: 'down', state: 'normal', load: '104.3 KiB' }),
      expect.objectContaining({ address: '127.0.0.3', status: 'up', state: 'joining', load: '?', owns: '?' }),
    ]);
  });

  it('reads addresses printed with their port (--print-port) and the leaving and moving states', () => {
    const members = parseNodetoolStatus(
      [
        'UL  127.0.0.2:7000  1.2 MiB  16  50.0%  0b1c8a52-3f64-4a45-9a3e-7f6f0f4b2c11  rack1',
        'UM  127.0.0.4:7000  1.2 MiB  16  50.0%  0b1c8a52-3f64-4a45-9a3e-7f6f0f4b2c12  rack1',
      ].join('\n'),
    );
    expect(members.map((m) => [m.address, m.state])).toEqual([
      ['127.0.0.2', 'leaving'],
      ['127.0.0.4', 'moving'],
    ]);
  });

  it('finds no member in output that has none (an error, a header alone)', () => {
    expect(parseNodetoolStatus('nodetool: Failed to connect to 127.0.0.1:7299')).toEqual([]);
  });
});

describe('the cluster view in status output', () => {
  const members = parseNodetoolStatus(STATUS).map((m, i) => ({
    ...m,
    node: i + 1,
    ...(i === 1 ? {} : { pid: 100 + i, rssMiB: 700 + i }),
  }));
  const view = { askedNode: 1, askedAddress: '127.0.0.1', jmxPort: 7199, members };

  it('is healthy only when every member is up and normal', () => {
    expect(clusterHealthy(view)).toBe(false);
    const healed = members.map((m) => ({ ...m, status: 'up' as const, state: 'normal' as const }));
    expect(clusterHealthy({ ...view, members: healed })).toBe(true);
  });

  it('lists every member with its address, state as the cluster sees it, pid and RSS', () => {
    expect(formatCluster(view).split('\n')).toEqual([
      'Cassandra cluster as node 1 (127.0.0.1) sees it (nodetool status over JMX 127.0.0.1:7199):',
      'node  address    status  state    pid  rss      load       owns   host id',
      '1     127.0.0.1  up      normal   100  700 MiB  40.59 MiB  66.7%  d4d9c19c-68c0-4f35-9495-a710b77ea238',
      '2     127.0.0.2  down    normal                 104.3 KiB  67.1%  0b1c8a52-3f64-4a45-9a3e-7f6f0f4b2c11',
      '3     127.0.0.3  up      joining  102  702 MiB  ?          ?      5e0a7a0e-2b4d-4c8e-8f0e-0f9a2d1e6c33',
    ]);
  });

  it("adds the cluster's view to each node's state for --json, and nothing to other services", () => {
    const base = { mode: 'host' as const, ready: true, startedNow: false };
    const states: ServiceState[] = [
      { ...base, service: 'cassandra', endpoint: '127.0.0.1:9042' },
      { ...base, service: 'cassandra', endpoint: '127.0.0.2:9042', node: 2, ready: false, mode: 'none' },
      { ...base, service: 'localstack', endpoint: 'http://127.0.0.1:4566' },
    ];
    const json = withClusterView(states, view);
    expect(json.map((st) => st.cluster?.status)).toEqual(['up', 'down', undefined]);
    expect(withClusterView(states, undefined)).toEqual(states);
  });

  it('prints the contact points as the variable lib/config.ts reads', () => {
    expect(contactPointsLine(['127.0.0.1:9042', '127.0.0.3:9042'])).toBe(
      'CASSANDRA_CONTACT_POINTS=127.0.0.1:9042,127.0.0.3:9042',
    );
  });
});
