// An ingest report as JSON: absent values print as null, so every report has the same keys.
import type { IngestReport } from './types';

export function reportJson(report: IngestReport, indent?: number): string {
  return JSON.stringify(report, (_key, value: unknown) => (value === undefined ? null : value), indent);
}
