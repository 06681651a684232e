// An in-memory QueryStore with Cassandra-like paging (the page state is an opaque hex offset).
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { LedgerEntry } from '../../../lib/cassandra/model';
import type {
  ListenerRow,
  Page,
  PageOptions,
  QueryStore,
  SessionItemRow,
  UserSessionPage,
} from '../../../lib/queries/store';

function paged<T>(rows: T[], page: PageOptions): Page<T> {
  const start = page.pageState ? Number.parseInt(page.pageState, 16) : 0;
  const slice = rows.slice(start, start + page.limit);
  const next = start + page.limit;
  // Like Cassandra, a full page carries a state even when nothing follows.
  return {
    rows: slice,
    pageState: slice.length === page.limit ? next.toString(16).padStart(8, '0') : undefined,
  };
}

export class FakeStore implements QueryStore {
  readonly plays = new Map<string, SessionItemRow>();
  readonly sessions = new Map<
    string,
    { firstName: string; lastName: string; songs: { itemInSession: number; artist: string; song: string }[] }
  >();
  readonly listenersBySong = new Map<string, ListenerRow[]>();
  /** Ledger rows by source. */
  readonly ledger = new Map<string, LedgerEntry[]>();
  failWith: unknown;

  private check() {
    if (this.failWith !== undefined) throw this.failWith;
  }

  async sessionItem(sessionId: number, itemInSession: number) {
    this.check();
    return this.plays.get(`${sessionId}/${itemInSession}`);
  }

  async userSessionSongs(userId: number, sessionId: number, page: PageOptions): Promise<UserSessionPage> {
    this.check();
    const s = this.sessions.get(`${userId}/${sessionId}`);
    return { ...paged(s?.songs ?? [], page), firstName: s?.firstName ?? null, lastName: s?.lastName ?? null };
  }

  async listeners(song: string, page: PageOptions) {
    this.check();
    return paged(this.listenersBySong.get(song) ?? [], page);
  }

  async ingestVersions(source: string) {
    this.check();
    // In clustering order (etag ascending), as Cassandra returns a partition.
    return [...(this.ledger.get(source) ?? [])].sort((a, b) =>
      a.etag < b.etag ? -1 : a.etag > b.etag ? 1 : 0,
    );
  }
}

/** An HTTP API (payload 2.0) event as API Gateway or serverless-offline delivers it. */
export function httpEvent(
  rawPath: string,
  opts: {
    pathParameters?: Record<string, string>;
    rawQueryString?: string;
    origin?: string;
    method?: string;
  } = {},
): APIGatewayProxyEventV2 {
  const method = opts.method ?? 'GET';
  return {
    version: '2.0',
    routeKey: `GET ${rawPath}`,
    rawPath,
    rawQueryString: opts.rawQueryString ?? '',
    headers: opts.origin ? { origin: opts.origin } : {},
    pathParameters: opts.pathParameters,
    requestContext: {
      accountId: 'offline',
      apiId: 'offline',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'jest' },
      requestId: 'req-1',
      routeKey: `GET ${rawPath}`,
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
    isBase64Encoded: false,
  };
}
