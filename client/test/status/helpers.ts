// Runs and definitions for the status page's unit tests, without running anything.
import type { Transition } from '../../src/reporters/state.ts';
import type { Definition, RunResult } from '../../src/types.ts';
import { probeDefinition } from '../helpers/definitions.ts';

export const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

export function probe(name: string, extra: Record<string, unknown> = {}): Definition {
  return probeDefinition({ name, url: 'http://127.0.0.1:9/status', ...extra });
}

export function run(
  definition: Definition,
  at: number,
  success: boolean,
  extra: Partial<RunResult> = {},
): RunResult {
  return {
    kind: definition.kind,
    name: definition.name,
    method: definition.requests[0]?.method ?? 'GET',
    url: definition.requests[0]?.url ?? '',
    scheduledAt: at,
    startedAt: at,
    lagMs: 0,
    durationMs: 12,
    phases: { resolve: 0, connect: 1, tls: 0, processing: 10, transfer: 1 },
    statusCode: success ? 200 : 500,
    success,
    ...(success ? {} : { errorType: 'http_status' as const, error: 'status 500, expected 2xx' }),
    assertions: [],
    ...extra,
  };
}

export const down: Transition = { from: 'up', to: 'down' };
export const up: Transition = { from: 'down', to: 'up' };
