// Read latency of the three queries, three ways: the raw driver (the same prepared CQL the API
// runs), the deployed handlers called in-process (bundled, as on Lambda), and HTTP through
// serverless offline. Keys are drawn from the loaded plays, the same for every mode.
import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { type Client, types } from 'cassandra-driver';
import { keyedSelectCql } from '../lib/cassandra/cql';
import { listenersBySong, playsBySession, songsByUserSession } from '../lib/cassandra/model';
import type { Play } from '../lib/events/event';
import { percentile, round, spread } from './stats';

export type Query = 'q1' | 'q2' | 'q3';
export type Mode = 'driver' | 'handler' | 'http';

/** One round of `requests` calls. */
export interface LatencyRound {
  p50: number;
  p95: number;
  p99: number;
  errors: number;
}

/** Medians over the rounds, with each percentile's min–max across rounds. */
export interface LatencyResult extends LatencyRound {
  query: Query;
  mode: Mode;
  concurrency: number;
  requests: number;
  rounds: number;
  p99Spread: { min: number; max: number };
  p50Spread: { min: number; max: number };
}

export interface Request {
  path: string;
  rawPath: string;
  pathParameters?: Record<string, string>;
  rawQueryString: string;
  cqlParams: unknown[];
}

/** A deterministic sample of plays, turned into one request per query each. */
export function sampleRequests(playsFile: string, n: number): Record<Query, Request[]> {
  const lines = readFileSync(playsFile, 'utf8').trimEnd().split('\n');
  let state = 0x9e3779b9;
  const next = () => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return state / 2 ** 32;
  };
  const plays = Array.from(
    { length: n },
    () => JSON.parse(lines[Math.floor(next() * lines.length)] ?? '{}') as Play,
  );
  return {
    q1: plays.map((p) => ({
      path: `/sessions/${p.sessionId}/items/${p.itemInSession}`,
      rawPath: `/sessions/${p.sessionId}/items/${p.itemInSession}`,
      pathParameters: { sessionId: String(p.sessionId), itemInSession: String(p.itemInSession) },
      rawQueryString: '',
      cqlParams: [p.sessionId, p.itemInSession],
    })),
    q2: plays.map((p) => ({
      path: `/users/${p.userId}/sessions/${p.sessionId}/songs`,
      rawPath: `/users/${p.userId}/sessions/${p.sessionId}/songs`,
      pathParameters: { userId: String(p.userId), sessionId: String(p.sessionId) },
      rawQueryString: '',
      cqlParams: [p.userId, p.sessionId],
    })),
    q3: plays.map((p) => {
      const qs = new URLSearchParams({ song: p.song }).toString();
      return { path: `/listeners?${qs}`, rawPath: '/listeners', rawQueryString: qs, cqlParams: [p.song] };
    }),
  };
}

export function driverCalls(
  client: Client,
  keyspace: string,
): Record<Query, (r: Request) => Promise<unknown>> {
  const opts = { prepare: true, fetchSize: 100, consistency: types.consistencies.localQuorum };
  const q1 = keyedSelectCql(
    keyspace,
    playsBySession,
    ['session_id', 'item_in_session'],
    ['artist', 'song', 'length'],
  );
  const q2 = keyedSelectCql(
    keyspace,
    songsByUserSession,
    ['user_id', 'session_id'],
    ['item_in_session', 'artist', 'song', 'first_name', 'last_name'],
  );
  const q3 = keyedSelectCql(keyspace, listenersBySong, ['song'], ['user_id', 'first_name', 'last_name']);
  return {
    q1: (r) => client.execute(q1, r.cqlParams, opts),
    q2: (r) => client.execute(q2, r.cqlParams, opts),
    q3: (r) => client.execute(q3, r.cqlParams, opts),
  };
}

type Handler = (event: APIGatewayProxyEventV2) => Promise<{ statusCode: number }>;

/** The API Gateway (payload 2.0) event of a request, as the handlers receive it. */
/** The event API Gateway hands a handler for the request, with the caller's Authorization header. */
export function apiEvent(r: Request, auth: { authorization: string }): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    rawPath: r.rawPath,
    rawQueryString: r.rawQueryString,
    pathParameters: r.pathParameters,
    headers: { ...auth },
    requestContext: { requestId: 'bench', http: { method: 'GET', path: r.rawPath } },
  } as unknown as APIGatewayProxyEventV2;
}

/** The handlers called in-process; each verifies the token, as it does deployed under offline. */
export function handlerCalls(
  handlers: Record<Query, Handler>,
  auth: { authorization: string },
): Record<Query, (r: Request) => Promise<unknown>> {
  const call = (h: Handler) => async (r: Request) => {
    const res = await h(apiEvent(r, auth));
    if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
  };
  return { q1: call(handlers.q1), q2: call(handlers.q2), q3: call(handlers.q3) };
}

export function httpCalls(
  baseUrl: string,
  auth: { authorization: string },
): Record<Query, (r: Request) => Promise<unknown>> {
  const call = async (r: Request) => {
    const res = await fetch(baseUrl + r.path, { headers: auth });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
  };
  return { q1: call, q2: call, q3: call };
}

/** Runs `requests` calls, `concurrency` at a time, after a warm-up; latencies in ms. */
export async function measure(
  call: (r: Request) => Promise<unknown>,
  requests: Request[],
  concurrency: number,
  warmup = 200,
): Promise<LatencyRound> {
  for (let i = 0; i < warmup; i++)
    await call(requests[i % requests.length] as Request).catch(() => undefined);
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const r = requests[next++] as Request;
      const t0 = performance.now();
      try {
        await call(r);
      } catch {
        errors++;
      }
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  latencies.sort((a, b) => a - b);
  return {
    p50: round(percentile(latencies, 50), 3),
    p95: round(percentile(latencies, 95), 3),
    p99: round(percentile(latencies, 99), 3),
    errors,
  };
}

/**
 * Every mode of one query at one concurrency, `rounds` times, each round in a rotated mode order so
 * that none always runs first (cold) or last (after the others warmed the node's caches).
 */
export async function compareModes(
  modes: Record<Mode, (r: Request) => Promise<unknown>>,
  requests: Request[],
  concurrency: number,
  rounds: number,
): Promise<Record<Mode, LatencyRound[]>> {
  const names = Object.keys(modes) as Mode[];
  const out = Object.fromEntries(names.map((m) => [m, [] as LatencyRound[]])) as Record<Mode, LatencyRound[]>;
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const mode = names[(i + round) % names.length] as Mode;
      out[mode].push(await measure(modes[mode], requests, concurrency));
    }
  }
  return out;
}

export function summarizeRounds(
  rounds: LatencyRound[],
): Omit<LatencyResult, 'query' | 'mode' | 'concurrency' | 'requests'> {
  const med = (k: keyof LatencyRound) => round(spread(rounds.map((r) => r[k])).median, 3);
  const range = (k: 'p50' | 'p99') => {
    const s = spread(rounds.map((r) => r[k]));
    return { min: round(s.min, 3), max: round(s.max, 3) };
  };
  return {
    rounds: rounds.length,
    p50: med('p50'),
    p95: med('p95'),
    p99: med('p99'),
    errors: rounds.reduce((n, r) => n + r.errors, 0),
    p50Spread: range('p50'),
    p99Spread: range('p99'),
  };
}
