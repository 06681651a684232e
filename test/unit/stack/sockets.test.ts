import { isLoopback, parseSs, withDescendants } from '../../../scripts/stack/sockets';

// `ss -ltunpH` as it printed here, with LocalStack on 0.0.0.0 (its twisted server) among the lines.
const SS = `tcp   LISTEN 0      4096       127.0.0.1:9042       0.0.0.0:*    users:(("java",pid=3014,fd=196))
tcp   LISTEN 0      50           0.0.0.0:4566       0.0.0.0:*    users:(("python",pid=3040,fd=8))
tcp   LISTEN 0      50         127.0.0.1:7199       0.0.0.0:*    users:(("java",pid=3014,fd=108))
tcp   LISTEN 0      512        127.0.0.2:7000       0.0.0.0:*    users:(("java",pid=4100,fd=130))
tcp   LISTEN 0      511            [::1]:3000          [::]:*    users:(("node",pid=5000,fd=21),("node",pid=5001,fd=21))
tcp   LISTEN 0      511             [::]:3002          [::]:*    users:(("node",pid=5000,fd=22))
udp   UNCONN 0      0      127.0.0.53%lo:53         0.0.0.0:*
tcp   LISTEN 0      128          0.0.0.0:2024       0.0.0.0:*
`;

describe('parseSs', () => {
  it('reads each socket: protocol, address without brackets or interface, port and pids', () => {
    const sockets = parseSs(SS);
    expect(sockets.map((s) => [s.protocol, s.address, s.port, s.pids])).toEqual([
      ['tcp', '127.0.0.1', 9042, [3014]],
      ['tcp', '0.0.0.0', 4566, [3040]],
      ['tcp', '127.0.0.1', 7199, [3014]],
      ['tcp', '127.0.0.2', 7000, [4100]],
      ['tcp', '::1', 3000, [5000, 5001]],
      ['tcp', '::', 3002, [5000]],
      ['udp', '127.0.0.53', 53, []],
      ['tcp', '0.0.0.0', 2024, []],
    ]);
  });

  it('skips what is not a socket line (a header, blank lines)', () => {
    expect(parseSs('Netid State Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n\n')).toEqual([]);
  });
});

describe('isLoopback', () => {
  it.each(['127.0.0.1', '127.0.0.3', '127.255.255.254', '::1', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1'])(
    'counts %s as loopback',
    (address) => expect(isLoopback(address)).toBe(true),
  );

  it.each(['0.0.0.0', '*', '::', '10.0.0.5', '192.168.1.2', '128.0.0.1', '::ffff:10.0.0.1', 'fe80::1'])(
    'does not count %s as loopback',
    (address) => expect(isLoopback(address)).toBe(false),
  );
});

describe('withDescendants', () => {
  it('follows children and grandchildren, and nothing else', () => {
    const ps = ['1 0', '10 1', '11 10', '12 11', '20 1', '21 20'].join('\n');
    expect(withDescendants([10], ps).sort((a, b) => a - b)).toEqual([10, 11, 12]);
    expect(withDescendants([99], ps)).toEqual([99]);
  });
});
