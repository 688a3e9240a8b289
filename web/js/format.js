// Formatting of times, durations and vocabulary labels shared by every view.

const dateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  timeZoneName: 'short', // at 3 a.m. during an incident call, whose 3 a.m. matters
});
const shortDate = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });

export function parseTime(iso) {
  if (!iso) return NaN;
  return Date.parse(iso);
}

export function formatDateTime(iso) {
  const at = parseTime(iso);
  return Number.isNaN(at) ? '—' : dateTime.format(at);
}

/** `2024-05-01` (a UTC day from the summary) as a short label. */
export function formatDay(day) {
  const at = Date.parse(`${day}T00:00:00Z`);
  return Number.isNaN(at) ? String(day) : shortDate.format(at);
}

/** A coarse duration for ages and MTTA/MTTR: 45s, 12m, 2h 05m, 3d 4h. */
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** A precise countdown for SLA deadlines: 14:59, 1:02:03; negative values read as overdue. */
export function formatCountdown(ms) {
  const total = Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const clock = h ? `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`
    : `${m}:${String(s).padStart(2, '0')}`;
  return ms < 0 ? `overdue ${clock}` : clock;
}

export function formatPercent(ratio) {
  if (ratio === null || ratio === undefined || Number.isNaN(ratio)) return '—';
  return `${(ratio * 100).toFixed(ratio >= 0.995 || ratio === 0 ? 0 : 1)}%`;
}

/** `source_not_found` → `Source not found`; keeps unknown values readable. */
export function humanize(value) {
  if (!value) return '—';
  const text = String(value).replace(/_/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const SOURCE_LABELS = {
  adf: 'Data Factory', synapse: 'Synapse', databricks_job: 'Databricks job',
  databricks_cluster: 'Databricks cluster', azure_function: 'Function App', other: 'Other',
};

export function sourceLabel(source) {
  return SOURCE_LABELS[source] || humanize(source);
}

export const STATUSES = ['open', 'acknowledged', 'resolved', 'pipeline_error'];
export const PRIORITIES = ['P1', 'P2', 'P3', 'P4'];
export const SOURCES = Object.keys(SOURCE_LABELS);
export const CATEGORIES = [
  'source_not_found', 'auth_failure', 'permission_denied', 'network_connectivity', 'throttling_quota',
  'schema_mismatch', 'data_quality', 'out_of_memory', 'cluster_startup_failure', 'dependency_library',
  'code_error', 'configuration_error', 'resource_not_found_infra', 'concurrency_conflict',
  'upstream_dependency_failure', 'timeout', 'platform_transient',
];
