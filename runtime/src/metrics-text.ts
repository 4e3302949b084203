// Renders a prom-client registry as text, line for line what registry.metrics() renders, but in
// slices: it yields to the event loop every few thousand lines. prom-client formats the whole registry
// in one synchronous stretch; a prober with 1,000 probes has 38,000 lines, and each scrape stopped
// every timer for 100-200 ms, which every run planned in that window saw as schedule lag.

import type { ServerResponse } from 'node:http';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { RegistryContentType, Registry as TypedRegistry } from 'prom-client';

type Registry = TypedRegistry<RegistryContentType>;

/** Lines formatted between two turns of the event loop: a few milliseconds of work at most. */
const LINES_PER_SLICE = 2000;
const OPENMETRICS = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

type Labels = Record<string, string | number>;

interface Exemplar {
  labelSet: Labels;
  value: number;
  timestamp: number;
}

interface Sample {
  labels?: Labels;
  sharedLabels?: Labels;
  value: number;
  metricName?: string;
  exemplar?: Exemplar | null;
}

interface Family {
  name: string;
  help: string;
  type: string;
  values?: Sample[];
}

/** The metric objects a registry holds: prom-client's, or anything with the same get(). */
interface Renderable {
  name: string;
  type?: string;
  get(): Promise<Family> | Family;
  /** prom-client's histograms: labels `le` first, the series' own labels shared (as it prints them). */
  getForPromString?(): Promise<Family> | Family;
}

/** The registry's text, all of it: for callers that need one string (tests, merged snapshots). */
export async function renderMetrics(registry: Registry): Promise<string> {
  let text = '';
  for await (const chunk of metricsText(registry)) text += chunk;
  return text;
}

/**
 * Answers a scrape, chunk by chunk: the text is written to the socket as it is formatted, so a large
 * registry's text is never held whole (each scavenge would copy it) and never formatted in one stretch.
 */
export async function sendMetrics(registry: Registry, response: ServerResponse): Promise<void> {
  for await (const chunk of metricsText(registry)) {
    if (response.destroyed) return;
    // The head goes with the first slice: a collector that throws before it still gets the caller's 500.
    if (!response.headersSent) response.writeHead(200, { 'content-type': registry.contentType });
    response.write(chunk);
  }
  response.end();
}

/** The text in slices of about LINES_PER_SLICE lines, with a turn of the event loop between slices. */
export async function* metricsText(registry: Registry): AsyncGenerator<string> {
  const internals = registry as unknown as {
    getMetricsAsArray(): Renderable[];
    _defaultLabels?: Labels;
  };
  // Default labels are merged per sample by prom-client; no service sets them. Keep its path for them.
  if (internals._defaultLabels && Object.keys(internals._defaultLabels).length > 0) {
    yield await registry.metrics();
    return;
  }
  const openMetrics = registry.contentType === OPENMETRICS;
  const familySeparator = openMetrics ? '\n' : '\n\n';
  let text = '';
  let sliceLines = 0;
  let first = true;
  for (const metric of internals.getMetricsAsArray()) {
    // As prom-client does: OpenMetrics names a counter's family without _total, and each sample with it.
    if (openMetrics && metric.type === 'counter') metric.name = metric.name.replace(/_total$/, '');
    const histogram = histogramSeries(metric);
    const family = histogram
      ? undefined
      : await (metric.getForPromString ? metric.getForPromString() : metric.get());
    if (histogram) await histogram.collect?.();
    const name = escapeText(family?.name ?? metric.name);
    const help = escapeText(family?.help ?? histogram?.help ?? '');
    text += `${first ? '' : familySeparator}# HELP ${name} ${help}\n# TYPE ${name} ${family?.type ?? 'histogram'}`;
    first = false;
    if (histogram) {
      // Series by series from prom-client's own table: its export builds 16 objects per series in one
      // go (10 ms for 1,000 probes), which no slicing could break up.
      for (const series of Object.values(histogram.hashMap)) {
        text += histogramLines(name, histogram.upperBounds, series, openMetrics);
        sliceLines += histogram.upperBounds.length + 3;
        if (sliceLines >= LINES_PER_SLICE) {
          yield text;
          text = '';
          sliceLines = 0;
          await nextTurn();
        }
      }
      continue;
    }
    const suffix = openMetrics && family?.type === 'counter' ? '_total' : '';
    for (const sample of family?.values ?? []) {
      text += `\n${sample.metricName ?? name}${suffix}`;
      text += labelBlock(sample.labels, sample.sharedLabels);
      text += ` ${valueText(sample.value)}`;
      if (sample.exemplar && openMetrics) text += exemplarText(sample.exemplar);
      if (++sliceLines >= LINES_PER_SLICE) {
        yield text;
        text = '';
        sliceLines = 0;
        await nextTurn();
      }
    }
  }
  yield `${text}${openMetrics ? '\n# EOF\n' : '\n'}`;
}

interface HistogramSeries {
  labels: Labels;
  bucketValues: Record<string, number>;
  bucketExemplars?: Record<string, Exemplar | null | undefined>;
  sum: number;
  count: number;
}

interface HistogramTable {
  help: string;
  upperBounds: number[];
  hashMap: Record<string, HistogramSeries>;
  collect?: () => unknown;
}

/** prom-client's Histogram table, when the metric is one (checked by shape: a lean family is not). */
function histogramSeries(metric: Renderable): HistogramTable | undefined {
  const table = metric as unknown as Partial<HistogramTable>;
  return metric.type === 'histogram' &&
    metric.getForPromString &&
    Array.isArray(table.upperBounds) &&
    typeof table.hashMap === 'object'
    ? (table as HistogramTable)
    : undefined;
}

/** One series' buckets, sum and count, as prom-client prints them: `le` first, then the series' labels. */
function histogramLines(
  name: string,
  upperBounds: readonly number[],
  series: HistogramSeries,
  openMetrics: boolean,
): string {
  const shared = flattenShared(series.labels);
  const rest = shared ? `,${shared}}` : '}';
  let text = '';
  let cumulative = 0;
  for (const bound of upperBounds) {
    cumulative += series.bucketValues[bound] ?? 0;
    text += `\n${name}_bucket{le="${bound}"${rest} ${valueText(cumulative)}`;
    const exemplar = series.bucketExemplars?.[bound];
    if (exemplar && openMetrics) text += exemplarText(exemplar);
  }
  text += `\n${name}_bucket{le="+Inf"${rest} ${valueText(series.count)}`;
  const infExemplar = series.bucketExemplars?.['-1'];
  if (infExemplar && openMetrics) text += exemplarText(infExemplar);
  const block = shared ? `{${shared}}` : '';
  text += `\n${name}_sum${block} ${valueText(series.sum)}\n${name}_count${block} ${valueText(series.count)}`;
  return text;
}

function labelBlock(labels: Labels | undefined, sharedLabels: Labels | undefined): string {
  const own = labels ? formatLabels(labels, sharedLabels) : '';
  const shared = sharedLabels ? flattenShared(sharedLabels) : '';
  return own || shared ? `{${own}${own && shared ? ',' : ''}${shared}}` : '';
}

function exemplarText(exemplar: Exemplar): string {
  return ` # {${formatLabels(exemplar.labelSet)}} ${valueText(exemplar.value)} ${exemplar.timestamp}`;
}

function formatLabels(labels: Labels, exclude?: Labels): string {
  let text = '';
  for (const key in labels) {
    if (exclude && Object.hasOwn(exclude, key)) continue;
    const value = labels[key] as string | number;
    text += `${text ? ',' : ''}${key}="${typeof value === 'string' ? escapeLabelValue(value) : value}"`;
  }
  return text;
}

/** A series' own labels, formatted once per series (prom-client keeps one object per series). */
const sharedText = new WeakMap<Labels, string>();
function flattenShared(labels: Labels): string {
  let text = sharedText.get(labels);
  if (text === undefined) {
    text = formatLabels(labels);
    sharedText.set(labels, text);
  }
  return text;
}

const NEEDS_ESCAPE = /[\\\n"]/;
function escapeLabelValue(value: string): string {
  return NEEDS_ESCAPE.test(value) ? escapeText(value).replace(/"/g, '\\"') : value;
}

function escapeText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function valueText(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (!Number.isFinite(value)) return value < 0 ? '-Inf' : '+Inf';
  return `${value}`;
}
