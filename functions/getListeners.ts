// GET /listeners?song=<title> (Q3).
import { getListeners } from '../lib/queries/listeners';
import { apiHandler } from '../lib/queries/runtime';

export const handler = apiHandler('getListeners', (deps, event) =>
  getListeners(deps.store, deps.cursorSecret, event),
);
