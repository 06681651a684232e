// GET /ingests?source=s3://bucket/key: what the ingest did with each version of one object.

import { SCOPES } from '../lib/auth';
import { config } from '../lib/config';
import { apiHandler } from '../lib/queries/api-handler';
import { getIngests } from '../lib/queries/ingests';

export const handler = apiHandler('getIngests', SCOPES.ingests, (deps, event) =>
  getIngests(deps.store, event, config().ingest),
);
