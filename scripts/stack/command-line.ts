// The arguments of scripts/stack.ts, read strictly: a mistyped flag must not run a command that does
// something else than asked.
import { parseArgs } from 'node:util';
import { MAX_CASSANDRA_NODES, parseNodeCount } from './settings';

export const STACK_USAGE = [
  'usage: tsx scripts/stack.ts up|status [--nodes N] [--json] | down | python',
  `       tsx scripts/stack.ts node stop|kill|start|remove <n>   (n from 1 to ${MAX_CASSANDRA_NODES})`,
].join('\n');

export const NODE_ACTIONS = ['stop', 'kill', 'start', 'remove'] as const;
export type NodeAction = (typeof NODE_ACTIONS)[number];

export type StackCommand =
  | { command: 'up' | 'status' | 'down' | 'python'; json: boolean; nodes?: number }
  | { command: 'node'; action: NodeAction; node: number; json: boolean };

function isNodeAction(value: string | undefined): value is NodeAction {
  return NODE_ACTIONS.some((action) => action === value);
}

/** The command and its flags, or undefined when the arguments are not ones the script takes. */
export function parseStackCommand(argv: string[]): StackCommand | undefined {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { json: { type: 'boolean', default: false }, nodes: { type: 'string' } },
      allowPositionals: true,
    });
    const [command, ...rest] = positionals;
    const nodes = values.nodes === undefined ? undefined : parseNodeCount(values.nodes);
    if (values.nodes !== undefined && nodes === undefined) return undefined;
    if (command === 'node') {
      const [action, n, ...extra] = rest;
      const node = parseNodeCount(n ?? '');
      if (!isNodeAction(action) || node === undefined || extra.length > 0 || values.nodes !== undefined) {
        return undefined;
      }
      return { command, action, node, json: values.json };
    }
    if (rest.length > 0) return undefined;
    if (command === 'up' || command === 'status') {
      return { command, json: values.json, ...(nodes !== undefined ? { nodes } : {}) };
    }
    if ((command === 'down' || command === 'python') && nodes === undefined) {
      return { command, json: values.json };
    }
    return undefined;
  } catch {
    return undefined;
  }
}
