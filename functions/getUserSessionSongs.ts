// GET /users/{userId}/sessions/{sessionId}/songs (Q2).
import { SCOPES } from '../lib/auth';
import { apiHandler } from '../lib/queries/api-handler';
import { getUserSessionSongs } from '../lib/queries/user-session';

export const handler = apiHandler('getUserSessionSongs', SCOPES.read, (deps, event) =>
  getUserSessionSongs(deps.store, deps.cursorSecret, event),
);
