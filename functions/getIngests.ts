// GET /ingests?source=s3://bucket/key: what the ingest did with each version of one object.
import { config } from '../lib/config';
import { apiHandler } from '../lib/queries/api-handler';
import { getIngests } from '../lib/queries/ingests';

export const handler = apiHandler('getIngests', (deps, event) =>
  getIngests(deps.store, event, config().ingest),
);
