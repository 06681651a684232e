// GET /listeners?song=<title> (Q3).

import { apiHandler } from '../lib/queries/api-handler';
import { getListeners } from '../lib/queries/listeners';

export const handler = apiHandler('getListeners', (deps, event) =>
  getListeners(deps.store, deps.cursorSecret, event),
);
