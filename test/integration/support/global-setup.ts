// Brings the local stack up for the integration tier when it is not running yet, and remembers
// what it started so the teardown stops exactly that (nothing a developer started by hand).

import { stackUp } from '../../../scripts/stack/index';
import type { ServiceName } from '../../../scripts/stack/service';
import { seconds, stackLog } from '../../../scripts/stack/settings';

declare global {
  var __tracklogStartedServices: ServiceName[] | undefined;
}

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const states = await stackUp();
  globalThis.__tracklogStartedServices = states.filter((s) => s.startedNow).map((s) => s.service);
  const how = states.map((s) => `${s.service} ${s.startedNow ? 'started' : `already up (${s.mode})`}`);
  stackLog(`integration tests: ${how.join(', ')} in ${seconds(Date.now() - started)}`);
}
