// The data behind the status page: GET /probes plus each probe's history and the timeline. The same JSON
// goes to /probes (what the page polls) and to /events (what it listens to). URLs never carry credentials.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ProbeContext } from '../monitor.ts';
import { probeEntry } from '../reporters/probes-route.ts';
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

function redact<T extends { url?: string | undefined; last_result: Record<string, unknown> | null }>(
  entry: T,
) {
  return {
    ...entry,
    url: entry.url === undefined ? undefined : displayUrl(entry.url),
    last_result: entry.last_result && {
      ...entry.last_result,
      url: typeof entry.last_result.url === 'string' ? displayUrl(entry.last_result.url) : undefined,
    },
  };
}

/** A probe's entry with its history; an action's entry as it is. Both without credentials. */
function statusEntry(source: StatusSource, context: ProbeContext, now: number) {
  const entry = redact(probeEntry(context, source.location, now));
  return entry.kind === 'probe'
    ? { ...entry, history: historyView(source.history.probes.get(entry.name), now) }
    : entry;
}

/** What follows the probes and actions: the timeline and the page's settings. */
function statusTail(source: StatusSource) {
  return {
    incidents: source.history.incidents.slice(-TIMELINE_ENTRIES).reverse(),
    chaos: source.history.chaos.slice(-TIMELINE_ENTRIES).reverse(),
    history_limits: LIMITS,
    grafana_url: safeBaseUrl(source.grafanaUrl),
  };
}

export function statusSnapshot(source: StatusSource) {
  const now = source.now();
  const entries = [...source.contexts()].map((context) => statusEntry(source, context, now));
  return {
    location: source.location,
    generated_at: new Date(now).toISOString(),
    probes: entries.filter((entry) => entry.kind === 'probe'),
    actions: entries.filter((entry) => entry.kind === 'action'),
    ...statusTail(source),
  };
}

/** Entries serialized between two turns of the event loop: a few milliseconds of work. */
const ENTRIES_PER_SLICE = 20;

/**
 * JSON.stringify(statusSnapshot(source)), the same text, built a few probes at a time with a turn of
 * the event loop between them: with a thousand probes the snapshot is megabytes, and building it in one
 * stretch held every probe's timer for over 100 ms each time an open page was sent one.
 */
export async function statusSnapshotText(source: StatusSource): Promise<string> {
  const now = source.now();
  const probes: string[] = [];
  const actions: string[] = [];
  let sliced = 0;
  for (const context of [...source.contexts()]) {
    const entry = statusEntry(source, context, now);
    (entry.kind === 'probe' ? probes : actions).push(JSON.stringify(entry));
    if (++sliced % ENTRIES_PER_SLICE === 0) await nextTurn();
  }
  const head = JSON.stringify({ location: source.location, generated_at: new Date(now).toISOString() });
  const tail = JSON.stringify(statusTail(source));
  return `${head.slice(0, -1)},"probes":[${probes.join(',')}],"actions":[${actions.join(',')}],${tail.slice(1)}`;
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
