// Q3: GET /listeners?song=<title> → every user who listened to the song (once each), a page at a time.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { decodeCursor, encodeCursor } from './cursor';
import { pageRequest, queryParams, songParam } from './params';
import type { ListenerRow, QueryStore } from './store';

export interface ListenersResponse {
  song: string;
  listeners: ListenerRow[];
  nextCursor: string | null;
}

const QUERY = 'listeners';

export async function getListeners(
  store: QueryStore,
  cursorSecret: string,
  event: APIGatewayProxyEventV2,
): Promise<ListenersResponse> {
  const query = queryParams(event);
  const song = songParam(query);
  const { limit, cursor } = pageRequest(query);
  const pageState = cursor ? decodeCursor(cursorSecret, QUERY, [song], cursor) : undefined;
  const page = await store.listeners(song, { limit, pageState });
  return {
    song,
    listeners: page.rows,
    nextCursor: page.pageState ? encodeCursor(cursorSecret, QUERY, [song], page.pageState) : null,
  };
}
