// Q2: GET /users/{userId}/sessions/{sessionId}/songs → the session's songs in itemInSession order,
// with the user's name, a page at a time.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { notFound } from '../http';
import { decodeCursor, encodeCursor } from './cursor';
import { pageRequest, pathInt, queryParams } from './params';
import type { QueryStore } from './store';

export interface UserSessionResponse {
  userId: number;
  sessionId: number;
  firstName: string | null;
  lastName: string | null;
  songs: { itemInSession: number; artist: string; song: string }[];
  nextCursor: string | null;
}

const QUERY = 'user-session-songs';

export async function getUserSessionSongs(
  store: QueryStore,
  cursorSecret: string,
  event: APIGatewayProxyEventV2,
): Promise<UserSessionResponse> {
  const userId = pathInt(event, 'userId');
  const sessionId = pathInt(event, 'sessionId');
  const { limit, cursor } = pageRequest(queryParams(event));
  const key = [userId, sessionId];
  const pageState = cursor ? decodeCursor(cursorSecret, QUERY, key, cursor) : undefined;
  const page = await store.userSessionSongs(userId, sessionId, { limit, pageState });
  if (page.rows.length === 0 && !pageState) throw notFound(`user ${userId} has no session ${sessionId}`);
  return {
    userId,
    sessionId,
    firstName: page.firstName,
    lastName: page.lastName,
    songs: page.rows,
    nextCursor: page.pageState ? encodeCursor(cursorSecret, QUERY, key, page.pageState) : null,
  };
}
