import { parseStackCommand } from '../../../scripts/stack/command-line';

describe('parseStackCommand', () => {
  it('reads a command and --json, in either order', () => {
    expect(parseStackCommand(['up'])).toEqual({ command: 'up', json: false });
    expect(parseStackCommand(['--json', 'status'])).toEqual({ command: 'status', json: true });
  });

  it('reads --nodes for up and status', () => {
    expect(parseStackCommand(['up', '--nodes', '3'])).toEqual({ command: 'up', json: false, nodes: 3 });
    expect(parseStackCommand(['status', '--nodes=2', '--json'])).toEqual({
      command: 'status',
      json: true,
      nodes: 2,
    });
  });

  it('reads --tls for up and for starting one node, and nowhere else', () => {
    expect(parseStackCommand(['up', '--nodes', '3', '--tls'])).toEqual({
      command: 'up',
      json: false,
      nodes: 3,
      tls: true,
    });
    expect(parseStackCommand(['node', 'start', '1', '--tls'])).toMatchObject({
      action: 'start',
      node: 1,
      tls: true,
    });
    expect(parseStackCommand(['node', 'kill', '1', '--tls'])).toBeUndefined();
    expect(parseStackCommand(['status', '--tls'])).toBeUndefined();
    expect(parseStackCommand(['down', '--tls'])).toBeUndefined();
  });

  it('reads a node command', () => {
    expect(parseStackCommand(['node', 'kill', '2'])).toEqual({
      command: 'node',
      action: 'kill',
      node: 2,
      json: false,
    });
    expect(parseStackCommand(['node', 'start', '3'])).toMatchObject({ action: 'start', node: 3 });
  });

  it.each([
    [[]],
    [['status', '--jsn']],
    [['up', '--json=yes']],
    [['up', 'now']],
    [['restart']],
    [['up', '--nodes', '0']],
    [['up', '--nodes', '10']],
    [['up', '--nodes', 'three']],
    [['down', '--nodes', '3']],
    [['node', 'stop']],
    [['node', 'pause', '2']],
    [['node', 'kill', '2', '3']],
    [['node', 'start', '2', '--nodes', '3']],
  ])('refuses %j (the script prints its usage and exits 2)', (argv) =>
    expect(parseStackCommand(argv)).toBeUndefined(),
  );
});
