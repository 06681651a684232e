// One cold start of a bundled handler in a fresh Node process, as Lambda does it: the time to load
// the module (Lambda's "Init Duration"), then the first invocation (which connects to Cassandra,
// prepares its statements and, for the ingest, checks the schema) and a second, warm one.
// Prints one JSON line. Not bundled itself: it loads the handler bundle given on the command line.
import { readFileSync } from 'node:fs';

async function main(): Promise<void> {
  const [bundle = '', firstEventFile = '', secondEventFile = firstEventFile] = process.argv.slice(2);
  const events = [firstEventFile, secondEventFile].map((f) => JSON.parse(readFileSync(f, 'utf8')) as unknown);
  const t0 = performance.now();
  const mod = require(bundle) as { handler: (event: unknown) => Promise<unknown> };
  const initMs = performance.now() - t0;
  const invoke = async (event: unknown) => {
    const t = performance.now();
    const result = (await mod.handler(event)) as { statusCode?: number; batchItemFailures?: unknown[] };
    if (result?.statusCode !== undefined && result.statusCode !== 200)
      throw new Error(`handler answered ${result.statusCode}`);
    if (result?.batchItemFailures !== undefined && result.batchItemFailures.length > 0)
      throw new Error('the ingest reported its message failed');
    return performance.now() - t;
  };
  const firstMs = await invoke(events[0]);
  const secondMs = await invoke(events[1]);
  process.stdout.write(`${JSON.stringify({ initMs, firstMs, secondMs })}\n`);
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
