// GET /sessions/{sessionId}/items/{itemInSession} (Q1).
import { apiHandler } from '../lib/queries/api-handler';
import { getSessionItem } from '../lib/queries/session-item';

export const handler = apiHandler('getSessionItem', (deps, event) => getSessionItem(deps.store, event));
