// The quirks fixture (test/fixtures/quirks.csv, described in test/fixtures/README.md) and what
// ingesting it must give, for every tier that ingests it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const quirks = readFileSync(join(__dirname, '..', 'fixtures', 'quirks.csv'));

/** Its rejects, by line, with the reason each is kept for. */
export const QUIRKS_REJECTS: [number, string][] = [
  [9, 'userId is missing'],
  [10, 'sessionId is not a number: "abc"'],
  [11, 'length is negative: "-5"'],
  [12, 'userId is outside the 32-bit int range: "3000000000"'],
  [13, 'expected 17 fields as in the header, found 7'],
  [14, 'artist is empty'],
];
