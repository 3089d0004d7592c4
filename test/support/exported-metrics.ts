/**
 * Every metric family progreg's processes export that an alert rule or a dashboard panel may name,
 * written out from docs/operations.md, Metrics: test/stack/alert-rules.test.ts holds the rules and
 * the dashboard to these names, and test/stack/metrics.test.ts finds each of them in a real scrape
 * of the worker and the gateway (the _failed_total counters once something has failed).
 */
export const EXPORTED_METRICS: ReadonlySet<string> = new Set([
  'temporal_workflow_task_execution_failed_total',
  'temporal_workflow_task_schedule_to_start_latency',
  'temporal_workflow_task_execution_latency',
  'temporal_activity_schedule_to_start_latency',
  'temporal_activity_execution_failed_total',
  'temporal_activity_execution_latency',
  'progreg_projection_lag_seconds',
  'http_requests_total',
  'http_request_duration_seconds',
  'progreg_event_streams_open',
  'progreg_registrations_open',
  'progreg_email_deliveries',
  'progreg_personal_email_problems',
  'progreg_verification_breaches',
  'progreg_read_model_figures_failures_total',
]);
