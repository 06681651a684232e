// The arguments of scripts/stack.ts, read strictly: a mistyped flag must not run a command that does
// something else than asked.
import { parseArgs } from 'node:util';

export const STACK_USAGE = 'usage: tsx scripts/stack.ts up|down|status [--json] | python';

export interface StackCommand {
  command: string;
  json: boolean;
}

/** The command and its flags, or undefined when the arguments are not ones the script takes. */
export function parseStackCommand(argv: string[]): StackCommand | undefined {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { json: { type: 'boolean', default: false } },
      allowPositionals: true,
    });
    const [command, ...extra] = positionals;
    return command !== undefined && extra.length === 0 ? { command, json: values.json } : undefined;
  } catch {
    return undefined;
  }
}
