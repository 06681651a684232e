// tsx scripts/generate.ts --events N --out DIR [...]: writes a deterministic synthetic event log so tests
// and benchmarks never need the real exports. Run with --help for the options.
import { runCli } from './cli';
import { parseGenerateArgs, SYNOPSIS, USAGE } from './generate/args';
import { writeEventFiles } from './generate/index';

/** Redraws one status line, at most a few times a second. */
function ttyProgress(): (written: number, total: number) => void {
  let last = 0;
  return (written, total) => {
    const now = Date.now();
    if (now - last < 250 && written < total) return;
    last = now;
    const percent = ((100 * written) / total).toFixed(1);
    process.stderr.write(
      `\rgenerate: ${written.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} events (${percent}%)`,
    );
    if (written >= total) process.stderr.write('\n');
  };
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseGenerateArgs(argv);
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const options = parsed.options;
  if (process.stderr.isTTY) options.onProgress = ttyProgress();
  const summary = await writeEventFiles(options);
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  return 0;
}

runCli('generate', SYNOPSIS, () => main(process.argv.slice(2)));
