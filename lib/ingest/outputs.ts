// Where the ingest CLI keeps each object's report and rejects: <out>/<name>.report.json and
// <out>/<name>.rejected.jsonl. Names keep the inputs' directories (relative to the directory all
// local inputs share; s3/<bucket>/<key> for S3 objects), so two inputs called events.csv in different
// folders get two reports and two rejects files instead of overwriting each other's.
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

export type OutputTarget = { kind: 'file'; path: string } | { kind: 's3'; bucket: string; key: string };

export class OutputCollisionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputCollisionError';
  }
}

/** The deepest directory that holds every one of the (absolute) paths. */
export function commonDirectory(paths: readonly string[]): string {
  const [first, ...rest] = paths.map((p) => dirname(resolve(p)).split(sep));
  if (!first) return resolve('.');
  let depth = first.length;
  for (const parts of rest) {
    let i = 0;
    while (i < depth && i < parts.length && parts[i] === first[i]) i++;
    depth = i;
  }
  return first.slice(0, depth).join(sep) || sep;
}

/** An S3 key as a relative path: "." and ".." segments cannot climb out of the output directory. */
function keyAsPath(key: string): string {
  return key
    .split('/')
    .filter((segment) => segment.length > 0)
    .map((segment) => (segment === '.' || segment === '..' ? segment.replace(/\./g, '%2E') : segment))
    .join('/');
}

function targetName(target: OutputTarget): string {
  return target.kind === 'file' ? resolve(target.path) : `s3://${target.bucket}/${target.key}`;
}

/**
 * One output name per target, in order. Throws OutputCollisionError, before anything is ingested,
 * when two targets would still share a name (compared case-insensitively, as some file systems do).
 */
export function outputNames(targets: readonly OutputTarget[]): string[] {
  const files = targets.flatMap((t) => (t.kind === 'file' ? [resolve(t.path)] : []));
  const root = commonDirectory(files);
  const names = targets.map((t) =>
    t.kind === 'file'
      ? relative(root, resolve(t.path)).split(sep).join('/')
      : `s3/${t.bucket}/${keyAsPath(t.key)}`,
  );
  const seen = new Map<string, number>();
  names.forEach((name, i) => {
    if (name.length === 0 || isAbsolute(name) || name.split('/').includes('..')) {
      throw new OutputCollisionError(`cannot name the outputs of ${targetName(targets[i] as OutputTarget)}`);
    }
    const earlier = seen.get(name.toLowerCase());
    if (earlier !== undefined) {
      throw new OutputCollisionError(
        `${targetName(targets[earlier] as OutputTarget)} and ${targetName(targets[i] as OutputTarget)} ` +
          `would both be reported as ${name}; ingest them in separate runs with different --out directories`,
      );
    }
    seen.set(name.toLowerCase(), i);
  });
  return names;
}

/** <out>/<name>.report.json, and the base of the rejects files: <name>.rejected.jsonl, then .rejected.part-0002.jsonl, … */
export function localOutputs(outDir: string, name: string): { report: string; rejectsBase: string } {
  return { report: join(outDir, `${name}.report.json`), rejectsBase: join(outDir, `${name}.rejected`) };
}
