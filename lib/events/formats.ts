// Which object names the ingest reads, and as what: the one list the pipeline, the CLI's directory
// and prefix walk, the bucket notifications and the local upload tools all derive from. Each
// extension may be followed by `.gz`; gzip is also detected from the bytes whatever the name says.

export const FORMATS = ['csv', 'jsonl'] as const;
export type Format = (typeof FORMATS)[number];

/** Extension → format. `.json` is read as JSON lines (eventsim's own output); see lib/events/jsonl.ts. */
export const EVENT_FILE_EXTENSIONS = {
  '.csv': 'csv',
  '.json': 'jsonl',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
} as const satisfies Record<string, Format>;

const extensions = Object.keys(EVENT_FILE_EXTENSIONS) as (keyof typeof EVENT_FILE_EXTENSIONS)[];

/** The format a name's extension says, in any letter case, with or without `.gz`. */
export function formatFromName(name: string): Format | undefined {
  const base = name.toLowerCase().replace(/\.gz$/, '');
  const ext = extensions.find((e) => base.endsWith(e));
  return ext === undefined ? undefined : EVENT_FILE_EXTENSIONS[ext];
}

/** True for the names the CLI picks up when it walks a directory or an S3 prefix. */
export const isEventFileName = (name: string): boolean => formatFromName(name) !== undefined;

/**
 * The key suffixes the bucket notifies the ingest queue for. S3 compares suffixes case-sensitively
 * and has no wildcard, so only the lowercase spellings trigger an ingest (`events.CSV` does not);
 * `npm run ingest` takes any case.
 */
export const BUCKET_TRIGGER_SUFFIXES: readonly string[] = extensions.flatMap((e) => [e, `${e}.gz`]);

export const triggersIngest = (key: string): boolean => BUCKET_TRIGGER_SUFFIXES.some((s) => key.endsWith(s));
