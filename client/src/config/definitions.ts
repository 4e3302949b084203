// Turns the validated file into Definitions: defaults filled in, action sugar expanded to requests,
// schedules and offsets computed. Pure, so that reload can compare old and new definitions as data.
import type { Definition, Expectations, RequestSpec, ScheduleSpec, TlsSpec } from '../types.ts';
import { cronPeriodMs } from './cron.ts';
import { stableOffsetMs } from './offset.ts';
import type { ActionConfig, ExpectConfig, ProbeConfig, ProbesFile } from './schema.ts';
import { parseStatusMatcher } from './status-ranges.ts';

// The CommonJS face of node:fs: its ES module face makes every lazy part of it, fs/promises and readline
// with it, for one readFileSync (see the runtime's config/load.ts).
const { readFileSync } = process.getBuiltinModule('node:fs');

export const USER_AGENT = 'sre-stack-prober/0.1';
/** Cron schedules keep their wall-clock meaning: the hash offset spreads them within at most this. */
const CRON_OFFSET_SPREAD_MS = 1000;
const DEFAULT_TIMEOUT_SHARE = 0.8;

export function toDefinitions(file: ProbesFile): Definition[] {
  return [
    ...file.probes.map(probeDefinition),
    ...file.actions.map((action) => actionDefinition(action, file)),
  ];
}

function probeDefinition(probe: ProbeConfig): Definition {
  const schedule = scheduleOf(probe);
  return {
    kind: 'probe',
    name: probe.name,
    requests: [request(probe.method, probe.url, probe.headers, probe.body)],
    schedule,
    offsetMs: offsetOf(probe, schedule),
    timeoutMs: probe.timeout ?? Math.floor(schedule.periodMs * DEFAULT_TIMEOUT_SHARE),
    expect: expectations(probe.expect),
    failureThreshold: probe.failureThreshold,
    successThreshold: probe.successThreshold,
    tls: tlsOf(probe.tls),
  };
}

function actionDefinition(action: ActionConfig, file: ProbesFile): Definition {
  const schedule = scheduleOf(action);
  const server = (action.server ?? file.server ?? '').replace(/\/+$/, '');
  let requests: RequestSpec[];
  const common = action.headers ?? {};
  if (action.request) {
    const { method, url, headers, body } = action.request;
    requests = [request(method, url, { ...common, ...headers }, body)];
  } else if (action.setStatus !== undefined) {
    const codes = Array.isArray(action.setStatus) ? action.setStatus : [action.setStatus];
    requests = codes.map((code) => request('POST', `${server}/status/${code}`, common));
  } else if (action.chaosProfile !== undefined) {
    requests = [request('PUT', `${server}/flaky`, common, action.chaosProfile)];
  } else {
    requests = [request('POST', `${server}/flaky`, common)];
  }
  return {
    kind: 'action',
    name: action.name,
    requests,
    schedule,
    offsetMs: offsetOf(action, schedule),
    timeoutMs: action.timeout ?? Math.floor(schedule.periodMs * DEFAULT_TIMEOUT_SHARE),
    expect: expectations(action.expect),
    failureThreshold: 1,
    successThreshold: 1,
    tls: tlsOf(action.tls),
  };
}

function scheduleOf(entry: { every?: number; schedule?: string; timeZone?: string }): ScheduleSpec {
  if (entry.every !== undefined) {
    return { kind: 'every', periodMs: entry.every, text: `every ${formatMs(entry.every)}` };
  }
  const expression = (entry.schedule as string).trim();
  return {
    kind: 'cron',
    expression,
    ...(entry.timeZone === undefined ? {} : { timeZone: entry.timeZone }),
    periodMs: cronPeriodMs(expression, entry.timeZone),
    text: entry.timeZone ? `${expression} (${entry.timeZone})` : expression,
  };
}

function offsetOf(entry: { name: string; offset?: number }, schedule: ScheduleSpec): number {
  if (entry.offset !== undefined) return entry.offset;
  const spread =
    schedule.kind === 'every' ? schedule.periodMs : Math.min(schedule.periodMs, CRON_OFFSET_SPREAD_MS);
  return stableOffsetMs(entry.name, spread);
}

function request(
  method: string,
  url: string,
  headers: Record<string, string> = {},
  body?: string | Record<string, unknown> | unknown[],
): RequestSpec {
  const merged: Record<string, string> = { 'user-agent': USER_AGENT };
  for (const [key, value] of Object.entries(headers)) merged[key.toLowerCase()] = value;
  if (body === undefined) return { method, url, headers: merged };
  if (typeof body === 'string') return { method, url, headers: merged, body };
  merged['content-type'] ??= 'application/json';
  return { method, url, headers: merged, body: JSON.stringify(body) };
}

function expectations(expect: ExpectConfig | undefined): Expectations {
  const written = expect?.status === undefined ? ['2xx'] : [expect.status].flat();
  const list = <T>(value: T | T[] | undefined) => (value === undefined ? undefined : ([value].flat() as T[]));
  const bodyConfig = expect?.body;
  const result: Expectations = {
    status: written.map((matcher) => parseStatusMatcher(matcher)!).filter(Boolean),
    statusText: written.join(','),
  };
  if (expect?.maxLatency !== undefined) result.maxLatencyMs = expect.maxLatency;
  if (bodyConfig) {
    result.body = {};
    const contains = list(bodyConfig.contains);
    const notContains = list(bodyConfig.notContains);
    const regex = list(bodyConfig.regex);
    if (contains) result.body.contains = contains;
    if (notContains) result.body.notContains = notContains;
    if (regex) result.body.regex = regex;
    if (bodyConfig.json) {
      result.body.json = bodyConfig.json.map((entry) => ({
        path: entry.path,
        equals: entry.equals,
        hasEquals: 'equals' in entry,
      }));
    }
  }
  if (expect?.headers) {
    result.headers = Object.fromEntries(
      Object.entries(expect.headers).map(([key, value]) => [key.toLowerCase(), value]),
    );
  }
  return result;
}

function tlsOf(tls: ProbeConfig['tls']): TlsSpec {
  const spec: TlsSpec = { insecureSkipVerify: tls?.insecureSkipVerify ?? false };
  if (tls?.caFile) spec.ca = readFileSync(tls.caFile, 'utf8');
  if (tls?.serverName) spec.serverName = tls.serverName;
  return spec;
}

function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** The identity used by reload: a definition that serialises the same is unchanged. */
export function fingerprint(definition: Definition): string {
  return JSON.stringify(definition);
}
