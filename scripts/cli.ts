// What every command-line script shares: argv parsed by node:util's parseArgs (one parser for all of
// them), a usage error that prints the usage line and exits 2, any other error printed as
// "<name>: message" with exit 1, and the exit code main() returns otherwise.
import { type ParseArgsConfig, parseArgs } from 'node:util';

export class UsageError extends Error {
  constructor(message = '') {
    super(message);
    this.name = 'UsageError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs' own messages, in the short form every script's users already know. */
function usageMessage(err: Error & { code?: string }): string {
  const option = /'(-[^' ]+)/.exec(err.message)?.[1];
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${option}`;
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return `${option} needs a value`;
  if (err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return 'takes no arguments besides its options';
  return err.message;
}

/** parseArgs in strict mode; a bad option or value is a UsageError naming it. */
export function parseCommandLine<O extends Options>(argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err: unknown) {
    throw new UsageError(usageMessage(err as Error));
  }
}

/** A whole number given as an option, at least min; a UsageError naming the option otherwise. */
export function wholeNumber(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}`);
  return n;
}

/** Runs main and exits with its code; usage errors exit 2 with the usage line, others 1. */
export function runCli(name: string, usage: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof UsageError) {
        process.stderr.write(`${err.message ? `${name}: ${err.message}\n` : ''}${usage}\n`);
        process.exit(err.message ? 2 : 0);
      }
      process.stderr.write(`${name}: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
