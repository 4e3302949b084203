// GET /probes on the metrics listener: a read-only status page as JSON, one entry per probe and action.
import { type AdminHandler, sendJson } from '@sre-stack/runtime';
import type { ProbeContext } from '../monitor.ts';
import { displayUrl } from '../url/display.ts';
import { runFields } from './log.ts';

/** One probe's or action's entry: its definition, state, last result and recent window. */
export function probeEntry(context: ProbeContext, location: string, now: number) {
  const { definition } = context;
  const request = definition.requests[0];
  return {
    name: definition.name,
    kind: definition.kind,
    method: request?.method,
    url: request ? displayUrl(request.url) : undefined,
    schedule: definition.schedule.text,
    timeout_ms: definition.timeoutMs,
    offset_ms: definition.offsetMs,
    state: context.state.snapshot(),
    last_result: context.last
      ? {
          ...runFields(context.last, location),
          started_at: new Date(context.last.startedAt).toISOString(),
          trace_id: context.last.traceId ?? null,
        }
      : null,
    window: context.window.summary(now),
  };
}

export function probesSnapshot(contexts: Iterable<ProbeContext>, location: string, now = Date.now()) {
  const entries = [...contexts].map((context) => probeEntry(context, location, now));
  return {
    location,
    generated_at: new Date(now).toISOString(),
    probes: entries.filter((entry) => entry.kind === 'probe'),
    actions: entries.filter((entry) => entry.kind === 'action'),
  };
}

export function probesRoute(contexts: () => Iterable<ProbeContext>, location: string): AdminHandler {
  return (_request, response) => sendJson(response, 200, probesSnapshot(contexts(), location));
}
