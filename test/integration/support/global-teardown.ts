// Stops the services the global setup started; TRACKLOG_KEEP_STACK=1 keeps them for the next run.
import { stackDown } from '../../../scripts/stack/index';
import { readStackSettings, stackLog } from '../../../scripts/stack/settings';

export default async function globalTeardown(): Promise<void> {
  const started = globalThis.__tracklogStartedServices ?? [];
  if (started.length === 0) return;
  if (process.env.TRACKLOG_KEEP_STACK === '1') {
    stackLog(`integration tests: leaving ${started.join(', ')} running (TRACKLOG_KEEP_STACK=1)`);
    return;
  }
  const stopped = await stackDown(readStackSettings(), started);
  stackLog(`integration tests: stopped ${stopped.join(', ')}`);
}
