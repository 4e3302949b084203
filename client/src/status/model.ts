// The data behind the status page: GET /probes plus each probe's history and the timeline. The same JSON
// goes to /probes (what the page polls) and to /events (what it listens to). URLs never carry credentials.
import type { ProbeContext } from '../monitor.ts';
import { probesSnapshot } from '../reporters/probes-route.ts';
import { percentile } from '../reporters/window.ts';
import { displayUrl } from '../url/display.ts';
import { type HistoryStore, LIMITS, type ProbeHistory, type RunRecord } from './history.ts';

/** Runs in the strip and the sparkline. */
export const STRIP_RUNS = 60;
/** Entries of the timeline sent to the page (the store keeps more, see LIMITS). */
export const TIMELINE_ENTRIES = 100;
const HOUR_MS = 60 * 60_000;
const DAY_MS = 24 * HOUR_MS;

export interface StatusSource {
  contexts: () => Iterable<ProbeContext>;
  history: HistoryStore;
  location: string;
  now: () => number;
  /** Base URL of Grafana for Explore links; http(s) only. */
  grafanaUrl?: string | undefined;
}

export interface ProbeHistoryView {
  uptime_1h: number | null;
  uptime_24h: number | null;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
  /** Oldest first, at most STRIP_RUNS; `at` as epoch ms. */
  recent: Omit<RunRecord, 'error'>[];
  /** The last 60 minutes that had runs, oldest first. */
  minutes: { minute: number; runs: number; ok: number }[];
}

export function historyView(history: ProbeHistory | undefined, now: number): ProbeHistoryView {
  if (!history) {
    return {
      uptime_1h: null,
      uptime_24h: null,
      latency_p50_ms: null,
      latency_p95_ms: null,
      recent: [],
      minutes: [],
    };
  }
  const lastHour = history.runs.filter((run) => run.at >= now - HOUR_MS);
  const durations = lastHour.map((run) => run.ms).sort((a, b) => a - b);
  return {
    uptime_1h: round(history.uptime(now, HOUR_MS)),
    uptime_24h: round(history.uptime(now, DAY_MS)),
    latency_p50_ms: percentile(durations, 0.5),
    latency_p95_ms: percentile(durations, 0.95),
    // The strip shows time, result, status and latency; the error text is in last_result and the incidents.
    recent: history.runs.slice(-STRIP_RUNS).map(({ error: _error, ...run }) => run),
    minutes: history.minutesSince(now, HOUR_MS),
  };
}

export function statusSnapshot(source: StatusSource) {
  const now = source.now();
  const base = probesSnapshot(source.contexts(), source.location, now);
  const redact = <T extends { url?: string | undefined; last_result: Record<string, unknown> | null }>(
    entry: T,
  ) => ({
    ...entry,
    url: entry.url === undefined ? undefined : displayUrl(entry.url),
    last_result: entry.last_result && {
      ...entry.last_result,
      url: typeof entry.last_result.url === 'string' ? displayUrl(entry.last_result.url) : undefined,
    },
  });
  return {
    ...base,
    probes: base.probes.map((entry) => ({
      ...redact(entry),
      history: historyView(source.history.probes.get(entry.name), now),
    })),
    actions: base.actions.map(redact),
    incidents: source.history.incidents.slice(-TIMELINE_ENTRIES).reverse(),
    chaos: source.history.chaos.slice(-TIMELINE_ENTRIES).reverse(),
    history_limits: LIMITS,
    grafana_url: safeBaseUrl(source.grafanaUrl),
  };
}

export type StatusSnapshot = ReturnType<typeof statusSnapshot>;

/** An http(s) URL without credentials or trailing slash, or null: the page puts it in links. */
export function safeBaseUrl(url: string | undefined): string | null {
  if (!url?.trim()) return null;
  try {
    const parsed = new URL(url.trim());
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
    return displayUrl(parsed.href).replace(/\/+$/, '');
  } catch {
    return null;
  }
}

function round(value: number | null): number | null {
  return value === null ? null : Math.round(value * 10_000) / 10_000;
}
