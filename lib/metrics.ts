// The functions' CloudWatch metrics, written as Embedded Metric Format lines to the function logs by
// Powertools Metrics (CloudWatch turns each line into metric data; locally they are plain lines in
// the function's log). Namespace and the `service` dimension come from the config (deployed:
// `tracklog` and `<service>-<stage>`, so stages never mix); the query functions add a `route`
// dimension, their function's name (getSessionItem, …). What each metric means is in the README
// ("Metrics and alarms").

import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Config } from './config';
import type { IngestReport } from './ingest/report';
import { splitOf } from './ingest/splits';
import { API_METRICS, INGEST_METRICS } from './metric-names';

export { API_METRICS, INGEST_METRICS };

let shared: Metrics | undefined;

/** The process's metrics, buffered until publish(); one instance per container, as Powertools expects. */
export function functionMetrics(cfg: Config): Metrics {
  shared ??= new Metrics({ namespace: cfg.metrics.namespace, serviceName: cfg.metrics.service });
  return shared;
}

/** What one delivery of one object did: its part's own counts (a later part adds its own). */
export function recordIngest(metrics: Metrics, report: IngestReport): void {
  const part = report.part;
  if (part) {
    metrics.addMetric(INGEST_METRICS.playsWritten, MetricUnit.Count, part.rowsWritten);
    metrics.addMetric(INGEST_METRICS.rowsRead, MetricUnit.Count, part.rowsRead);
    metrics.addMetric(INGEST_METRICS.rowsSkipped, MetricUnit.Count, part.rowsSkipped);
    metrics.addMetric(INGEST_METRICS.rowsRejected, MetricUnit.Count, part.rowsRejected);
    metrics.addMetric(INGEST_METRICS.writeRetries, MetricUnit.Count, part.writeRetries);
    metrics.addMetric(INGEST_METRICS.bytesRead, MetricUnit.Bytes, part.bytesRead);
    metrics.addMetric(INGEST_METRICS.duration, MetricUnit.Milliseconds, part.durationMs);
    metrics.addMetric(INGEST_METRICS.parts, MetricUnit.Count, 1);
  }
  // A failure reported as a batch item failure is no Lambda error: this is what the alarm watches.
  metrics.addMetric(INGEST_METRICS.failed, MetricUnit.Count, report.status === 'failed' ? 1 : 0);
  // An object completes once: a split's completion is a part of its object's, counted above.
  const split = report.etag !== undefined && splitOf(report.etag) !== undefined;
  metrics.addMetric(
    INGEST_METRICS.completed,
    MetricUnit.Count,
    report.status === 'completed' && !split ? 1 : 0,
  );
  metrics.addMetric(INGEST_METRICS.defects, MetricUnit.Count, report.failure === 'defect' ? 1 : 0);
}

/** What one sweep found: the versions it resumed because nobody carried them on. */
export function recordSweep(metrics: Metrics, resumed: number): void {
  metrics.addMetric(INGEST_METRICS.stalled, MetricUnit.Count, resumed);
}

/** One request of a query route: how long it took, and whether it was the client's error or ours. */
export function recordRequest(metrics: Metrics, route: string, statusCode: number, ms: number): void {
  // An invocation answers one request: its line carries the route as a dimension (cleared on publish).
  metrics.addDimension('route', route);
  metrics.addMetric(API_METRICS.latency, MetricUnit.Milliseconds, ms);
  metrics.addMetric(
    API_METRICS.clientErrors,
    MetricUnit.Count,
    statusCode >= 400 && statusCode < 500 ? 1 : 0,
  );
  metrics.addMetric(API_METRICS.serverErrors, MetricUnit.Count, statusCode >= 500 ? 1 : 0);
  metrics.publishStoredMetrics();
}
