// Every port the local stack opens listens on loopback only: LocalStack, each Cassandra node's CQL,
// storage and JMX ports (and the RMI port JMX exports), serverless offline's HTTP and Lambda ports.
// The processes are the ones the stack scripts recorded in their pid files (.local/*/) and the
// serverless offline this test starts; their sockets come from `ss -ltunpH`, so a port opened on
// 0.0.0.0 or another address fails the test, whichever setting was meant to prevent it.
import { type Offline, startOffline } from '../../scripts/local/offline';
import { cassandraNodeLayout, knownCassandraNodes } from '../../scripts/stack/cassandra';
import { localStackPaths } from '../../scripts/stack/localstack';
import { liveProcess } from '../../scripts/stack/proc';
import { readStackSettings } from '../../scripts/stack/settings';
import {
  isLoopback,
  type ListeningSocket,
  listeningSockets,
  withDescendants,
} from '../../scripts/stack/sockets';

interface Started {
  what: string;
  pids: number[];
  /** Ports it must be found listening on, so that a process whose sockets were missed cannot pass. */
  ports: number[];
}

/** The host processes of the local stack, from the pid files the stack scripts wrote. */
function stackProcesses(): Started[] {
  const s = readStackSettings();
  const started: Started[] = [];
  for (let n = 1; n <= knownCassandraNodes(s); n++) {
    const node = cassandraNodeLayout(s, n);
    const rec = liveProcess(node.paths.pidFile);
    if (rec) {
      const { cql, storage, jmx } = node.ports;
      started.push({ what: `${node.label} (${node.address})`, pids: [rec.pid], ports: [cql, storage, jmx] });
    }
  }
  const localstack = liveProcess(localStackPaths(s).pidFile);
  if (localstack) started.push({ what: 'localstack', pids: [localstack.pid], ports: [4566] });
  return started;
}

function port(url: string): number {
  return Number(new URL(url).port);
}

describe('the local stack listens on loopback only', () => {
  let offline: Offline | undefined;
  beforeAll(async () => {
    offline = await startOffline({ name: 'loopback' });
  }, 240_000);
  afterAll(async () => {
    await offline?.stop();
  });

  it("finds the stack's own processes (the checks below would pass vacuously without them)", () => {
    const names = stackProcesses().map((p) => p.what);
    expect(names).toEqual(expect.arrayContaining(['cassandra (127.0.0.1)', 'localstack']));
  });

  it('finds every socket of the started processes on 127.0.0.0/8 or ::1', () => {
    if (!offline) throw new Error('serverless offline did not start');
    const started: Started[] = [
      ...stackProcesses(),
      {
        what: 'serverless offline',
        pids: [offline.pid],
        ports: [port(offline.baseUrl), port(offline.lambdaUrl)],
      },
    ];
    const sockets = listeningSockets();
    const report = started.map((proc) => {
      const pids = withDescendants(proc.pids);
      const own = sockets.filter((sock) => sock.pids.some((pid) => pids.includes(pid)));
      const listed = (socks: ListeningSocket[]) =>
        socks.map((sock) => `${sock.protocol} ${sock.address}:${sock.port}`);
      return {
        what: proc.what,
        missing: proc.ports.filter((p) => !own.some((sock) => sock.port === p)),
        beyondLoopback: listed(own.filter((sock) => !isLoopback(sock.address))),
      };
    });
    // One expectation over all of them, so that a failure names every offender at once.
    expect(report).toEqual(started.map((proc) => ({ what: proc.what, missing: [], beyondLoopback: [] })));
  });
});
