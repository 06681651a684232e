// npm run stack:up | stack:down | stack:status [-- --json]; tsx scripts/stack.ts python (for CI: the
// Python LocalStack would run with, or exit 1 saying why there is none).
import { parseStackCommand, STACK_USAGE } from './stack/command-line';
import { formatStates, localStackPython, stackDown, stackStatus, stackUp } from './stack/index';
import { readStackSettings, seconds, stackLog } from './stack/settings';

async function main(argv: string[]): Promise<number> {
  const settings = readStackSettings();
  const { command, json } = parseStackCommand(argv) ?? { command: undefined, json: false };
  const started = Date.now();
  switch (command) {
    case 'up': {
      const states = await stackUp(settings);
      stackLog(`stack is up (${seconds(Date.now() - started)})`);
      process.stdout.write(`${json ? JSON.stringify(states, null, 2) : formatStates(states)}\n`);
      return 0;
    }
    case 'down': {
      const stopped = await stackDown(settings);
      stackLog(stopped.length > 0 ? `stopped ${stopped.join(', ')}` : 'nothing of ours was running');
      return 0;
    }
    case 'status': {
      const states = await stackStatus(settings);
      process.stdout.write(`${json ? JSON.stringify(states, null, 2) : formatStates(states)}\n`);
      return states.every((s) => s.ready) ? 0 : 3;
    }
    case 'python': {
      const { ok, message } = localStackPython(settings);
      if (ok) process.stdout.write(`${message}\n`);
      else stackLog(message);
      return ok ? 0 : 1;
    }
    default:
      process.stderr.write(`${STACK_USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    stackLog(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
