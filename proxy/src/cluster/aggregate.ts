// The cluster's /metrics: the primary asks every worker for its metrics (as JSON) over IPC, adds its
// own, combines series with equal labels (counters and histograms add up; a metric can ask for max,
// min, first, average or omit, e.g. the circuit state reports the worst worker), keeps the newest
// exemplar of each bucket, and renders one OpenMetrics page. Prometheus scrapes one target and sees one
// proxy; prom-client's AggregatorRegistry was not used because it drops exemplars.
import { renderMetrics } from '@sre-stack/runtime';
import type { MetricSnapshot, MetricValue } from '@sre-stack/runtime/lean-metrics';
import { Registry } from 'prom-client';

type Combine = (values: number[]) => number;

const COMBINE: Record<string, Combine> = {
  sum: (values) => values.reduce((total, value) => total + value, 0),
  max: (values) => Math.max(...values),
  min: (values) => Math.min(...values),
  first: (values) => values[0] ?? 0,
  average: (values) => values.reduce((total, value) => total + value, 0) / Math.max(1, values.length),
};

/** Metrics whose sum across processes means nothing; combined otherwise than their own aggregator says. */
const OVERRIDES: Record<string, string> = {
  config_last_reload_successful: 'max',
  config_last_reload_success_timestamp_seconds: 'max',
};

export function mergeSnapshots(sets: readonly MetricSnapshot[][]): MetricSnapshot[] {
  const merged = new Map<string, { metric: MetricSnapshot; series: Map<string, MetricValue[]> }>();
  for (const set of sets) {
    for (const metric of set) {
      let entry = merged.get(metric.name);
      if (!entry) {
        entry = { metric, series: new Map() };
        merged.set(metric.name, entry);
      }
      for (const value of metric.values) {
        const key = `${value.metricName ?? ''}${JSON.stringify(Object.entries(value.labels).sort(([a], [b]) => (a < b ? -1 : 1)))}`;
        const list = entry.series.get(key);
        if (list) list.push(value);
        else entry.series.set(key, [value]);
      }
    }
  }
  const result: MetricSnapshot[] = [];
  for (const { metric, series } of merged.values()) {
    const aggregator = OVERRIDES[metric.name] ?? metric.aggregator ?? 'sum';
    if (aggregator === 'omit') continue;
    const combine = COMBINE[aggregator] ?? (COMBINE.sum as Combine);
    const values: MetricValue[] = [];
    for (const list of series.values()) {
      const first = list[0] as MetricValue;
      const exemplar = list.reduce<MetricValue['exemplar']>(
        (newest, value) =>
          value.exemplar && (!newest || value.exemplar.timestamp > newest.timestamp)
            ? value.exemplar
            : newest,
        null,
      );
      values.push({
        labels: first.labels,
        metricName: first.metricName,
        value: combine(list.map((value) => value.value)),
        exemplar,
      });
    }
    result.push({ ...metric, values, aggregator: metric.aggregator });
  }
  return result;
}

/** Renders merged snapshots as OpenMetrics text (with exemplars) through a throwaway registry. */
export async function renderOpenMetrics(
  metrics: readonly MetricSnapshot[],
): Promise<{ body: string; contentType: string }> {
  const registry = new Registry<typeof Registry.OPENMETRICS_CONTENT_TYPE>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  for (const metric of metrics) {
    // The registry renames counters for OpenMetrics (strips _total) on this object; get() follows it.
    const entry = { ...metric, get: async () => ({ ...metric, name: entry.name }) };
    registry.registerMetric(entry as never);
  }
  return { body: await renderMetrics(registry), contentType: registry.contentType };
}
