// TLS to every node: real TLS servers on three loopback addresses and the same port (as the local
// cluster's nodes), dialled with the client's options the way cassandra-driver dials a node
// (Connection.open: tls.connect(port, nodeAddress, { rejectUnauthorized: false, ...sslOptions })).
// What is checked is where each connection went and which certificate it accepted. (The driver's
// own connect is not used: against a server that speaks no CQL it leaves a heartbeat timer running
// for a minute after shutdown.) The certificates are made by tls/make.sh.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type ConnectionOptions, connect, createServer, type Server } from 'node:tls';
import { tlsOptions } from '../../../lib/cassandra/client';
import { loadConfig } from '../../../lib/config';

const certs = join(__dirname, 'tls');
const pem = (name: string) => readFileSync(join(certs, name));

interface NodeServer {
  address: string;
  server: Server;
}

/** One connection to a node as the driver makes it: accepted (which address answered), or the TLS error. */
function dial(address: string, port: number, options: ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, address, { rejectUnauthorized: false, ...options }, () => {
      const answered = socket.remoteAddress ?? '?';
      socket.destroy();
      resolve(`accepted by ${answered}`);
    });
    socket.once('error', (err) => resolve(err.message));
  });
}

/** A TLS server on address:port presenting the certificate made for `certFor`, closing each connection. */
function nodeServer(address: string, port: number, certFor: string): Promise<NodeServer> {
  const node: NodeServer = {
    address,
    server: createServer({ key: pem(`node-${certFor}.key`), cert: pem(`node-${certFor}.pem`) }, (socket) =>
      socket.destroy(),
    ),
  };
  node.server.on('tlsClientError', () => undefined);
  return new Promise((resolve, reject) => {
    node.server.once('error', reject);
    node.server.listen(port, address, () => resolve(node));
  });
}

const close = (s: Server) => new Promise<void>((resolve) => s.close(() => resolve()));

describe('TLS to a cluster', () => {
  let nodes: NodeServer[] = [];
  let port = 0;

  beforeAll(async () => {
    // One port for all, as every node of a cluster listens on 9042: only the address tells them apart.
    const first = await nodeServer('127.0.0.1', 0, '127.0.0.1');
    port = (first.server.address() as AddressInfo).port;
    nodes = [
      first,
      await nodeServer('127.0.0.2', port, '127.0.0.2'),
      // Presents node 2's certificate on node 3's address: what a client must refuse.
      await nodeServer('127.0.0.3', port, '127.0.0.2'),
    ];
  });
  afterAll(async () => {
    await Promise.all(nodes.map((n) => close(n.server)));
  });

  const config = (env: Record<string, string>) =>
    loadConfig({
      CASSANDRA_CONTACT_POINTS: ['127.0.0.1', '127.0.0.2', '127.0.0.3'].map((a) => `${a}:${port}`).join(','),
      CASSANDRA_TLS_CA_FILE: join(certs, 'ca.pem'),
      ...env,
    }).cassandra;

  it('dials as cassandra-driver does: the address of the node as the host argument, the options after it', () => {
    const driver = readFileSync(require.resolve('cassandra-driver/lib/connection.js'), 'utf8');
    expect(driver).toContain('utils.extend({ rejectUnauthorized: false }, this.options.sslOptions)');
    expect(driver).toContain('tls.connect(this.port, this.address, sslOptions');
  });

  it("reaches each node at its own address and checks each node's certificate against that address", async () => {
    const options = tlsOptions(config({}));
    const outcomes = [];
    for (const node of nodes) outcomes.push(await dial(node.address, port, options));
    expect(outcomes[0]).toBe('accepted by 127.0.0.1');
    expect(outcomes[1]).toBe('accepted by 127.0.0.2');
    // Node 3's address answers with node 2's certificate: refused, since it does not name 127.0.0.3.
    expect(outcomes[2]).toMatch(/IP: 127\.0\.0\.3 is not in the cert's list: 127\.0\.0\.2/);
  });

  it('sends no host that would override the address of the node dialled, and no name but for Amazon Keyspaces', () => {
    const selfHosted = tlsOptions(config({}));
    expect(selfHosted).not.toHaveProperty('host');
    expect(selfHosted).not.toHaveProperty('servername');
    expect(selfHosted).not.toHaveProperty('checkServerIdentity');
    expect(selfHosted.rejectUnauthorized).toBe(true);

    // Keyspaces: one endpoint in front of the cluster, its certificate naming the endpoint only.
    const keyspaces = tlsOptions(
      loadConfig({
        CASSANDRA_CONTACT_POINTS: 'cassandra.eu-west-1.amazonaws.com:9142',
        CASSANDRA_AUTH: 'sigv4',
        CASSANDRA_TLS: 'true',
        AWS_REGION: 'eu-west-1',
      }).cassandra,
    );
    expect(keyspaces).not.toHaveProperty('host');
    expect(keyspaces.servername).toBe('cassandra.eu-west-1.amazonaws.com');
    expect(keyspaces.rejectUnauthorized).toBe(true);
  });
});
