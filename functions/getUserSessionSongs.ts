// GET /users/{userId}/sessions/{sessionId}/songs (Q2).
import { route } from '../lib/http';
import { apiRuntime } from '../lib/queries/runtime';
import { getUserSessionSongs } from '../lib/queries/user-session';

const rt = apiRuntime('getUserSessionSongs');

export const handler = route(rt.http, async (event) =>
  getUserSessionSongs(await rt.store(), rt.cfg.api.cursorSecret, event),
);
