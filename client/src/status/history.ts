// What the status page shows over time, kept in memory with fixed bounds: per probe its recent runs (strip,
// sparkline, percentiles) and per-minute counts for 24 h (uptime); in all, the recent state changes
// (incidents) and chaos actions. Keyed by probe name, so a reload that leaves a probe unchanged keeps it.
import { createHash } from 'node:crypto';
import { fingerprint } from '../config/definitions.ts';
import type { Transition } from '../reporters/state.ts';
import type { Definition, RunResult } from '../types.ts';
import { displayUrl } from '../url/display.ts';

export const LIMITS = {
  /** Runs kept per probe, newest last: the strip, the sparkline and p50/p95 come from these. */
  recentRunsPerProbe: 200,
  /** Per-minute success counts per probe: 24 h of uptime whatever the interval. */
  minutesPerProbe: 24 * 60,
  /** State changes of all probes together. */
  incidents: 500,
  /** Chaos action runs of all actions together. */
  chaosActions: 500,
  /** Error texts are cut to this many characters. */
  errorChars: 300,
} as const;

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

export interface RunRecord {
  at: number;
  ok: boolean;
  status: number | null;
  ms: number;
  error_type?: string;
  error?: string;
  trace_id?: string;
}

export interface MinuteCount {
  /** Start of the minute, epoch ms. */
  minute: number;
  runs: number;
  ok: number;
}

export interface Incident {
  at: number;
  probe: string;
  from: string;
  to: string;
  error_type?: string;
  error?: string;
  trace_id?: string;
}

export interface ChaosAction {
  at: number;
  action: string;
  method: string;
  url: string;
  ok: boolean;
  status: number | null;
  error?: string;
}

export class ProbeHistory {
  readonly fingerprint: string;
  readonly runs: RunRecord[] = [];
  /** Oldest first; an array, so that a window is a short walk back from the end. */
  readonly minutes: MinuteCount[] = [];

  constructor(fingerprint: string) {
    this.fingerprint = fingerprint;
  }

  add(run: RunRecord): void {
    this.runs.push(run);
    if (this.runs.length > LIMITS.recentRunsPerProbe)
      this.runs.splice(0, this.runs.length - LIMITS.recentRunsPerProbe);
    this.#count(Math.floor(run.at / MINUTE_MS) * MINUTE_MS, run.ok);
    this.prune(run.at);
  }

  #count(minute: number, ok: boolean): void {
    // Runs finish in about time order; a late one walks back a little.
    let index = this.minutes.length - 1;
    while (index >= 0 && (this.minutes[index] as MinuteCount).minute > minute) index--;
    let count = this.minutes[index];
    if (count?.minute !== minute) {
      count = { minute, runs: 0, ok: 0 };
      this.minutes.splice(index + 1, 0, count);
    }
    count.runs++;
    if (ok) count.ok++;
  }

  /** Drops minutes older than 24 h before `now`, and any beyond the count bound. */
  prune(now: number): void {
    let drop = Math.max(0, this.minutes.length - (LIMITS.minutesPerProbe + 1));
    while (
      drop < this.minutes.length &&
      (this.minutes[drop] as MinuteCount).minute <= now - DAY_MS - MINUTE_MS
    )
      drop++;
    if (drop > 0) this.minutes.splice(0, drop);
  }

  /** The minutes since `now - windowMs` (whole minutes), oldest first. */
  minutesSince(now: number, windowMs: number): MinuteCount[] {
    const from = Math.floor((now - windowMs) / MINUTE_MS) * MINUTE_MS;
    let index = this.minutes.length;
    while (index > 0 && (this.minutes[index - 1] as MinuteCount).minute >= from) index--;
    return this.minutes.slice(index).filter((count) => count.minute <= now);
  }

  /** Share of successful runs since `now - windowMs` (whole minutes); null when nothing ran. */
  uptime(now: number, windowMs: number): number | null {
    let runs = 0;
    let ok = 0;
    for (const count of this.minutesSince(now, windowMs)) {
      runs += count.runs;
      ok += count.ok;
    }
    return runs === 0 ? null : ok / runs;
  }
}

export type ChangeListener = () => void;

export class HistoryStore {
  readonly probes = new Map<string, ProbeHistory>();
  readonly incidents: Incident[] = [];
  readonly chaos: ChaosAction[] = [];
  readonly #listeners = new Set<ChangeListener>();
  /** The fingerprint of each configured probe, once a config is applied: late runs of a replaced one are not kept. */
  #current: Map<string, string> | undefined;

  /** The hook Monitor calls after each run. */
  record(definition: Definition, result: RunResult, transition: Transition | undefined): void {
    const at = result.startedAt;
    const url = displayUrl(result.url);
    const error = result.success
      ? undefined
      : cut((result.error ?? result.errorType ?? 'failed').replaceAll(result.url, url));
    if (definition.kind === 'action') {
      push(this.chaos, LIMITS.chaosActions, {
        at,
        action: definition.name,
        method: result.method,
        url,
        ok: result.success,
        status: result.statusCode ?? null,
        ...(error === undefined ? {} : { error }),
      });
    } else {
      const run: RunRecord = {
        at,
        ok: result.success,
        status: result.statusCode ?? null,
        ms: result.durationMs,
      };
      if (!result.success) {
        if (result.errorType) run.error_type = result.errorType;
        if (error !== undefined) run.error = error;
        if (result.traceId) run.trace_id = result.traceId;
      }
      const history = this.#historyOf(definition);
      if (!history) return;
      history.add(run);
      if (transition) {
        push(this.incidents, LIMITS.incidents, {
          at: at + result.durationMs,
          probe: definition.name,
          from: transition.from,
          to: transition.to,
          ...(run.error_type === undefined ? {} : { error_type: run.error_type }),
          ...(run.error === undefined ? {} : { error: run.error }),
          ...(run.trace_id === undefined ? {} : { trace_id: run.trace_id }),
        });
      }
    }
    this.changed();
  }

  /**
   * Follows a config apply: a probe that is gone loses its history, a probe whose definition changed
   * starts afresh (its old runs measured something else), an unchanged one keeps everything.
   */
  retain(definitions: readonly Definition[]): { kept: string[]; reset: string[]; dropped: string[] } {
    const summary = { kept: [] as string[], reset: [] as string[], dropped: [] as string[] };
    this.#current = new Map(
      definitions
        .filter((definition) => definition.kind === 'probe')
        .map((definition) => [definition.name, historyFingerprint(definition)]),
    );
    for (const [name, history] of this.probes) {
      const current = this.#current.get(name);
      if (current === undefined) {
        this.probes.delete(name);
        summary.dropped.push(name);
      } else if (history.fingerprint !== current) {
        this.probes.delete(name);
        summary.reset.push(name);
      } else {
        summary.kept.push(name);
      }
    }
    if (summary.dropped.length + summary.reset.length > 0) this.changed();
    return summary;
  }

  onChange(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  changed(): void {
    for (const listener of this.#listeners) listener();
  }

  #historyOf(definition: Definition): ProbeHistory | undefined {
    const print = historyFingerprint(definition);
    if (this.#current && this.#current.get(definition.name) !== print) return undefined;
    let history = this.probes.get(definition.name);
    if (history?.fingerprint !== print) {
      history = new ProbeHistory(print);
      this.probes.set(definition.name, history);
    }
    return history;
  }
}

const fingerprints = new WeakMap<Definition, string>();

/** A hash, not the definition: the definition holds headers, which may be credentials, and it is persisted. */
export function historyFingerprint(definition: Definition): string {
  let print = fingerprints.get(definition);
  if (print === undefined) {
    print = createHash('sha256').update(fingerprint(definition)).digest('hex').slice(0, 32);
    fingerprints.set(definition, print);
  }
  return print;
}

function push<T>(list: T[], limit: number, item: T): void {
  list.push(item);
  if (list.length > limit) list.splice(0, list.length - limit);
}

function cut(text: string): string {
  return text.length > LIMITS.errorChars ? `${text.slice(0, LIMITS.errorChars - 1)}…` : text;
}
