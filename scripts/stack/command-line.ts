// The arguments of scripts/stack.ts, read strictly: a mistyped flag must not run a command that does
// something else than asked.
import { parseArgs } from 'node:util';
import { MAX_CASSANDRA_NODES, parseNodeCount } from './settings';

export const STACK_USAGE = [
  'usage: tsx scripts/stack.ts up [--nodes N] [--tls] [--json] | status [--nodes N] [--json] | down | python',
  `       tsx scripts/stack.ts node stop|kill|remove <n> | node start <n> [--tls]   (n from 1 to ${MAX_CASSANDRA_NODES})`,
].join('\n');

export const NODE_ACTIONS = ['stop', 'kill', 'start', 'remove'] as const;
export type NodeAction = (typeof NODE_ACTIONS)[number];

export type StackCommand =
  | { command: 'up' | 'status' | 'down' | 'python'; json: boolean; nodes?: number; tls?: true }
  | { command: 'node'; action: NodeAction; node: number; json: boolean; tls?: true };

function isNodeAction(value: string | undefined): value is NodeAction {
  return NODE_ACTIONS.some((action) => action === value);
}

/** The command and its flags, or undefined when the arguments are not ones the script takes. */
export function parseStackCommand(argv: string[]): StackCommand | undefined {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        json: { type: 'boolean', default: false },
        nodes: { type: 'string' },
        tls: { type: 'boolean', default: false },
      },
      allowPositionals: true,
    });
    const [command, ...rest] = positionals;
    const nodes = values.nodes === undefined ? undefined : parseNodeCount(values.nodes);
    if (values.nodes !== undefined && nodes === undefined) return undefined;
    // --tls says how the nodes a command starts take clients: only `up` and `node start` start one.
    const tls = values.tls ? ({ tls: true } as const) : {};
    if (command === 'node') {
      const [action, n, ...extra] = rest;
      const node = parseNodeCount(n ?? '');
      if (!isNodeAction(action) || node === undefined || extra.length > 0 || values.nodes !== undefined) {
        return undefined;
      }
      if (values.tls && action !== 'start') return undefined;
      return { command, action, node, json: values.json, ...tls };
    }
    if (rest.length > 0) return undefined;
    if (command === 'up' || (command === 'status' && !values.tls)) {
      return { command, json: values.json, ...(nodes !== undefined ? { nodes } : {}), ...tls };
    }
    if ((command === 'down' || command === 'python') && nodes === undefined && !values.tls) {
      return { command, json: values.json };
    }
    return undefined;
  } catch {
    return undefined;
  }
}
