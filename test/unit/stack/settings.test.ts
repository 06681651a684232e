import { externalContactPoints, readStackSettings } from '../../../scripts/stack/settings';

describe('readStackSettings', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });
  const unset = (...names: string[]) => {
    for (const name of names) delete process.env[name];
  };

  it('defaults to auto mode, one node, no heap override and no external services', () => {
    unset('TRACKLOG_STACK', 'TRACKLOG_CASSANDRA_HEAP', 'TRACKLOG_CASSANDRA_NODES');
    unset('CASSANDRA_CONTACT_POINTS', 'AWS_ENDPOINT_URL');
    expect(readStackSettings()).toMatchObject({
      mode: 'auto',
      cassandraHeap: undefined,
      cassandraNodes: 1,
      externalCassandra: undefined,
      externalAws: undefined,
    });
  });

  it('treats CASSANDRA_CONTACT_POINTS and AWS_ENDPOINT_URL as services the user runs', () => {
    process.env.CASSANDRA_CONTACT_POINTS = 'db1:9042,db2:9042';
    process.env.AWS_ENDPOINT_URL = 'http://localhost:4566';
    expect(readStackSettings()).toMatchObject({
      externalCassandra: 'db1:9042,db2:9042',
      externalAws: 'http://localhost:4566',
    });
  });

  it('keeps clients plain unless --tls or TRACKLOG_CASSANDRA_TLS=true asks for TLS', () => {
    unset('TRACKLOG_CASSANDRA_TLS');
    expect(readStackSettings().cassandraTls).toBe(false);
    expect(readStackSettings({ tls: true }).cassandraTls).toBe(true);
    process.env.TRACKLOG_CASSANDRA_TLS = 'true';
    expect(readStackSettings().cassandraTls).toBe(true);
    process.env.TRACKLOG_CASSANDRA_TLS = 'yes';
    expect(() => readStackSettings()).toThrow('TRACKLOG_CASSANDRA_TLS must be true or false (got "yes")');
  });

  it('takes the node count from --nodes over TRACKLOG_CASSANDRA_NODES', () => {
    process.env.TRACKLOG_CASSANDRA_NODES = '3';
    expect(readStackSettings().cassandraNodes).toBe(3);
    expect(readStackSettings({ nodes: 2 }).cassandraNodes).toBe(2);
  });

  it.each([
    ['TRACKLOG_STACK', 'kubernetes'],
    ['TRACKLOG_CASSANDRA_HEAP', 'lots'],
    ['TRACKLOG_CASSANDRA_NODES', '0'],
    ['TRACKLOG_CASSANDRA_NODES', '10'],
    ['TRACKLOG_CASSANDRA_NODES', 'three'],
  ])('rejects %s=%s with a message naming the variable', (name, value) => {
    process.env[name] = value;
    expect(() => readStackSettings()).toThrow(name);
  });
});

describe('externalContactPoints', () => {
  it.each([
    ['127.0.0.1:9042', undefined],
    ['127.0.0.1:9042,127.0.0.2:9042,127.0.0.3:9042', undefined],
    [' 127.0.0.2:9042 , 127.0.0.3:9042 ', undefined],
  ])('does not count the line `stack:up` prints (%s) as a Cassandra of the user', (value, expected) => {
    expect(externalContactPoints(value)).toBe(expected);
  });

  it.each([
    'db1:9042',
    '127.0.0.1',
    '127.0.0.1:9043',
    '127.0.0.1:9042,db1:9042',
    '127.0.0.10:9042',
    'localhost:9042',
  ])('counts %s as a Cassandra the user runs', (value) => {
    expect(externalContactPoints(value)).toBe(value);
  });
});
