// The README tells users exactly which uploads start an ingest: the bucket's notification suffixes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUCKET_TRIGGER_SUFFIXES } from '../../lib/events/formats';

describe('the README', () => {
  it('lists exactly the key suffixes the bucket notifies the ingest for', () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const paragraph = /\*\*Which uploads start an ingest\.\*\*[\s\S]*?\n\n/.exec(readme)?.[0] ?? '';
    const listed = /keys ending in exactly([^(]*)\(/.exec(paragraph)?.[1] ?? '';
    expect([...listed.matchAll(/`([^`]+)`/g)].map((m) => m[1])).toEqual([...BUCKET_TRIGGER_SUFFIXES]);
  });
});
