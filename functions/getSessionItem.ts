// GET /sessions/{sessionId}/items/{itemInSession} (Q1).
import { SCOPES } from '../lib/auth';
import { apiHandler } from '../lib/queries/api-handler';
import { getSessionItem } from '../lib/queries/session-item';

export const handler = apiHandler('getSessionItem', SCOPES.read, (deps, event) =>
  getSessionItem(deps.store, event),
);
