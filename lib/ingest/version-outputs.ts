// Where one object version's outputs go in the outputs bucket: its report, each part's rejects as
// the delivery that ran it wrote them, and a split gzip object's inflated text, split by split. Every key names the version (its ETag), so two versions
// of one key never write over each other's outputs, and rejects keys name the delivery too, so a
// retried or taken-over part never writes over the file the ledger recorded. An ETag holds no '/',
// so a key splits back into object key and version at its last '/'.

/** reports/<key>/<etag>.json: the outcome of one version of the object, written when it ends. */
export function s3ReportKey(prefix: string, key: string, etag: string): string {
  return `${prefix}${key}/${etag}.json`;
}

/** rejected/<key>/<etag>/part-0002-<delivery>.jsonl: one part's rejects, as one delivery wrote them. */
export function s3RejectsKey(
  prefix: string,
  key: string,
  etag: string,
  part: number,
  delivery: string,
): string {
  return `${prefix}${key}/${etag}/part-${String(part).padStart(4, '0')}-${delivery.slice(0, 8)}.jsonl`;
}

/** Where the inflated text of split gzip objects is kept while their splits read it. */
export const SPLIT_TEXTS_PREFIX = 'splits/';

/** splits/<key>/<etag>/split-0002.txt: the inflated text of one split of a gzip version (1-based). */
export function s3SplitTextKey(key: string, etag: string, split: number): string {
  return `${SPLIT_TEXTS_PREFIX}${key}/${etag}/split-${String(split).padStart(4, '0')}.txt`;
}

/**
 * The report of a version of an s3:// source, as s3://bucket/key: in the outputs bucket, or the
 * source's own bucket when none is set (the CLI's default). Undefined for a local file's source.
 */
export function reportLocation(
  source: string,
  etag: string,
  outputs: { outputBucket: string | undefined; reportsPrefix: string },
): string | undefined {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(source);
  if (!match) return undefined;
  const [, bucket, key] = match as unknown as [string, string, string];
  return `s3://${outputs.outputBucket ?? bucket}/${s3ReportKey(outputs.reportsPrefix, key, etag)}`;
}
