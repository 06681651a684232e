// Where the generator's ids start. The real event logs (../shared/data/event_data) use sessionIds up
// to about 1,100 and userIds up to about 101, and the local stack keeps one keyspace (`tracklog`)
// for the demo's generated logs and for real files uploaded afterwards. Plays are keyed by these ids
// (Q1 by sessionId, Q2 by userId and sessionId), so generated ids in the real ones' range would
// answer a question about a real session or user with synthetic plays mixed in, or instead. Far
// above that range they never meet, and a million leaves room for real logs a thousand times larger.
// They stay offsets of the generator's own counters, so a seed still gives byte-identical files.

/** The first generated session is SESSION_ID_BASE + 1; the int range leaves room for 2,146 million more. */
export const SESSION_ID_BASE = 1_000_000;
/** The first generated listener is USER_ID_BASE + 1. */
export const USER_ID_BASE = 1_000_000;
