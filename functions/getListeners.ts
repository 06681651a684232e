// GET /listeners?song=<title> (Q3).
import { route } from '../lib/http';
import { getListeners } from '../lib/queries/listeners';
import { apiRuntime } from '../lib/queries/runtime';

const rt = apiRuntime('getListeners');

export const handler = route(rt.http, async (event) =>
  getListeners(await rt.store(), rt.cfg.api.cursorSecret, event),
);
