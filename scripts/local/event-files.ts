// Which files the demo and `npm run upload` put into the bucket to be ingested: exactly those whose
// names end in one of the bucket notification's suffixes (case-sensitive, as S3 compares them). Any
// other upload is never delivered to the ingest, and the demo would wait for its report in vain.
import { BUCKET_TRIGGER_SUFFIXES, triggersIngest } from '../../lib/events/formats';

export interface Selection {
  accepted: string[];
  skipped: string[];
}

export function selectEventFiles(names: readonly string[]): Selection {
  const sorted = [...names].sort();
  return { accepted: sorted.filter(triggersIngest), skipped: sorted.filter((n) => !triggersIngest(n)) };
}

/** Why a file is skipped, for the user. */
export function skipReason(): string {
  return `the bucket notifications deliver only names ending in ${BUCKET_TRIGGER_SUFFIXES.join(', ')} (case matters)`;
}

/** a, b, c and 4 more */
export function listNames(names: readonly string[], max = 8): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}
