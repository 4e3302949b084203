// The shapes that flow between config, scheduler, runner and reporters.

/**
 * Why a run failed: a closed list, so that dashboards and alerts can enumerate it.
 * Documented in client/README.md; `other` is for what none of the rest describes.
 */
export const ERROR_TYPES = [
  'timeout',
  'connection_refused',
  'dns',
  'reset',
  'tls',
  'http_status',
  'assertion_failed',
  'other',
] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];

export const PHASES = ['resolve', 'connect', 'tls', 'processing', 'transfer'] as const;
export type Phase = (typeof PHASES)[number];
/** Milliseconds spent in each phase of the run (0 when the phase did not happen, e.g. no TLS). */
export type Phases = Record<Phase, number>;

export const SKIP_REASONS = ['overlap', 'missed'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export type Kind = 'probe' | 'action';

export interface StatusRange {
  min: number;
  max: number;
}

export interface JsonExpectation {
  path: string;
  /** Absent: the path must exist. */
  equals?: unknown;
  hasEquals: boolean;
}

export interface Expectations {
  status: StatusRange[];
  /** Text of the status expectation as written, for messages ("200-299"). */
  statusText: string;
  maxLatencyMs?: number;
  body?: {
    contains?: string[];
    notContains?: string[];
    regex?: string[];
    json?: JsonExpectation[];
  };
  headers?: Record<string, string>;
}

export interface RequestSpec {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export type ScheduleSpec =
  | { kind: 'every'; periodMs: number; text: string }
  | { kind: 'cron'; expression: string; timeZone?: string; periodMs: number; text: string };

export interface TlsSpec {
  insecureSkipVerify: boolean;
  ca?: string;
  serverName?: string;
}

/** A probe or an action, normalised: everything the scheduler and runner need, nothing else. */
export interface Definition {
  kind: Kind;
  name: string;
  /** Runs cycle through these requests (an action's `setStatus: [500, 200]`); usually one. */
  requests: RequestSpec[];
  schedule: ScheduleSpec;
  offsetMs: number;
  timeoutMs: number;
  expect: Expectations;
  failureThreshold: number;
  successThreshold: number;
  tls: TlsSpec;
}

export interface AssertionResult {
  /** status, latency, body.contains, body.not_contains, body.regex, body.json, header */
  name: string;
  ok: boolean;
  expected: string;
  actual: string;
}

/** The raw outcome of one run: what logs, metrics, traces and /probes report. */
export interface RunResult {
  kind: Kind;
  name: string;
  method: string;
  url: string;
  /** Epoch ms (fractional) the run was planned for; equal to startedAt for --once. */
  scheduledAt: number;
  startedAt: number;
  lagMs: number;
  durationMs: number;
  phases: Phases;
  statusCode?: number;
  success: boolean;
  errorType?: ErrorType;
  error?: string;
  assertions: AssertionResult[];
  traceId?: string;
}
