// GET /listeners?song=<title> (Q3).

import { SCOPES } from '../lib/auth';
import { apiHandler } from '../lib/queries/api-handler';
import { getListeners } from '../lib/queries/listeners';

export const handler = apiHandler('getListeners', SCOPES.read, (deps, event) =>
  getListeners(deps.store, deps.cursorSecret, event),
);
