// The ladder's Machine on this host: pid files, ports, Docker. The unit tests pass a fake one instead.
import { composeStop, composeUp, dockerWorks, startedWithDocker } from './docker';
import type { Machine } from './ladder';
import { portInUse, stopRecorded } from './proc';
import { recordedProcess } from './service';

export const thisMachine: Machine = {
  recordedProcess,
  stopRecorded,
  portInUse,
  dockerWorks,
  startedWithDocker,
  composeUp,
  composeStop,
};
