// GET /users/{userId}/sessions/{sessionId}/songs (Q2).
import { apiHandler } from '../lib/queries/api-handler';
import { getUserSessionSongs } from '../lib/queries/user-session';

export const handler = apiHandler('getUserSessionSongs', (deps, event) =>
  getUserSessionSongs(deps.store, deps.cursorSecret, event),
);
