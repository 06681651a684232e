// Q1: GET /sessions/{sessionId}/items/{itemInSession} → artist, song and length of that play.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { notFound } from '../http';
import { pathInt } from './params';
import type { QueryStore } from './store';

export interface SessionItemResponse {
  sessionId: number;
  itemInSession: number;
  artist: string;
  song: string;
  length: number | null;
}

export async function getSessionItem(
  store: QueryStore,
  event: APIGatewayProxyEventV2,
): Promise<SessionItemResponse> {
  const sessionId = pathInt(event, 'sessionId');
  const itemInSession = pathInt(event, 'itemInSession');
  const row = await store.sessionItem(sessionId, itemInSession);
  if (!row) throw notFound(`no play at sessionId ${sessionId}, itemInSession ${itemInSession}`);
  return { sessionId, itemInSession, ...row };
}
