// The names of the functions' own CloudWatch metrics: written by lib/metrics.ts, watched by the
// alarms of lib/infra/alarms.ts, explained in the README ("Metrics and alarms"). Their own module,
// so the CloudFormation generator gets the names without the metrics library.

export const INGEST_METRICS = {
  playsWritten: 'PlaysWritten',
  rowsRead: 'RowsRead',
  rowsSkipped: 'RowsSkipped',
  rowsRejected: 'RowsRejected',
  writeRetries: 'WriteRetries',
  bytesRead: 'BytesRead',
  duration: 'IngestDuration',
  parts: 'IngestParts',
  completed: 'IngestsCompleted',
  failed: 'IngestsFailed',
  /** Parts that failed on a broken invariant or an error nobody expected: bugs, never retried. */
  defects: 'IngestDefects',
  /** Versions the sweep found with nobody carrying them on, and resumed. */
  stalled: 'IngestsStalled',
} as const;

export const API_METRICS = {
  latency: 'ReadLatency',
  clientErrors: 'ClientErrors',
  serverErrors: 'ServerErrors',
} as const;
