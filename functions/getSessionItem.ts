// GET /sessions/{sessionId}/items/{itemInSession} (Q1).
import { route } from '../lib/http';
import { apiRuntime } from '../lib/queries/runtime';
import { getSessionItem } from '../lib/queries/session-item';

const rt = apiRuntime('getSessionItem');

export const handler = route(rt.http, async (event) => getSessionItem(await rt.store(), event));
