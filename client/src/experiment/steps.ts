// The steps of a method or of the rollbacks: a request to a control endpoint, a pause, or a proxy
// fault set (or cleared) through the proxy's admin API. A step never throws: its result says what
// happened, and the runner decides.
import { formatDuration } from '@sre-stack/runtime';
import { type Clock, systemClock } from '../clock.ts';
import { USER_AGENT } from '../config/definitions.ts';
import type { Step } from './schema.ts';
import { waitUntil } from './steady-state.ts';

export interface StepResult {
  phase: 'method' | 'rollbacks';
  index: number;
  kind: 'request' | 'pause' | 'fault';
  /** One line for the report: "PUT http://…/flaky". */
  description: string;
  startedAt: string;
  durationMs: number;
  ok: boolean;
  status?: number;
  error?: string;
  /** The first bytes of the answer, for the journal. */
  response?: string;
}

const KEPT_RESPONSE = 500;

export interface StepOptions {
  phase: StepResult['phase'];
  index: number;
  signal: AbortSignal;
  /** Default expiry for faults set without expires_in. */
  faultExpiryMs: number;
  clock?: Clock;
}

export async function runStep(step: Step, options: StepOptions): Promise<StepResult> {
  const clock = options.clock ?? systemClock;
  const started = clock.now();
  const base = { phase: options.phase, index: options.index, startedAt: new Date(started).toISOString() };
  const finish = (result: Omit<StepResult, 'phase' | 'index' | 'startedAt' | 'durationMs'>): StepResult => ({
    ...base,
    ...result,
    durationMs: Math.round(clock.now() - started),
  });
  if (step.pause !== undefined) {
    await waitUntil(clock, started + step.pause, options.signal);
    return finish({
      kind: 'pause',
      description: `pause ${formatDuration(step.pause)}`,
      ok: !options.signal.aborted,
      ...(options.signal.aborted ? { error: 'interrupted' } : {}),
    });
  }
  if (step.request !== undefined) {
    const { method, url, json, body, headers = {}, timeout, expect_status: expected } = step.request;
    const payload = json !== undefined ? JSON.stringify(json) : body;
    const outcome = await call(method, url, {
      headers: {
        'user-agent': USER_AGENT,
        ...(json !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: payload,
      timeoutMs: timeout,
      accept: (status) => (expected ? expected.includes(status) : status >= 200 && status < 300),
    });
    return finish({ kind: 'request', description: `${method} ${url}`, ...outcome });
  }
  const fault = step.fault as NonNullable<Step['fault']>;
  const target = `${fault.admin.replace(/\/+$/, '')}/faults/${encodeURIComponent(fault.route)}`;
  const authorization: Record<string, string> = fault.token ? { authorization: `Bearer ${fault.token}` } : {};
  if (fault.clear) {
    const outcome = await call('DELETE', target, {
      headers: authorization,
      timeoutMs: 10_000,
      accept: (status) => status === 204 || status === 200,
    });
    return finish({ kind: 'fault', description: `clear the fault on route ${fault.route}`, ...outcome });
  }
  const document: Record<string, unknown> = {
    expires_in: formatDuration(fault.expires_in ?? options.faultExpiryMs),
  };
  if (fault.abort) document.abort = fault.abort;
  if (fault.delay) {
    const length = fault.delay.duration;
    document.delay = {
      percent: fault.delay.percent,
      duration:
        typeof length === 'number'
          ? formatDuration(length)
          : { min: formatDuration(length.min), max: formatDuration(length.max) },
    };
  }
  if (fault.header) document.header = fault.header;
  const outcome = await call('PUT', target, {
    headers: { 'content-type': 'application/json', ...authorization },
    body: JSON.stringify(document),
    timeoutMs: 10_000,
    accept: (status) => status === 200,
  });
  return finish({
    kind: 'fault',
    description: `fault on route ${fault.route}: ${describe(document)}`,
    ...outcome,
  });
}

function describe(document: Record<string, unknown>): string {
  const parts: string[] = [];
  const abort = document.abort as { percent: number; status: number } | undefined;
  const delay = document.delay as
    | { percent: number; duration: string | { min: string; max: string } }
    | undefined;
  if (abort) parts.push(`abort ${abort.percent}% with ${abort.status}`);
  if (delay) {
    const length =
      typeof delay.duration === 'string' ? delay.duration : `${delay.duration.min}-${delay.duration.max}`;
    parts.push(`delay ${delay.percent}% by ${length}`);
  }
  if (document.header) parts.push(`only with header ${document.header}`);
  parts.push(`expires in ${document.expires_in}`);
  return parts.join(', ');
}

async function call(
  method: string,
  url: string,
  options: {
    headers: Record<string, string>;
    body?: string;
    timeoutMs: number;
    accept: (status: number) => boolean;
  },
): Promise<Pick<StepResult, 'ok' | 'status' | 'error' | 'response'>> {
  try {
    // undici's full API loads at the first step that calls out, not with every prober that schedules
    // experiments; the probes themselves use its Client alone (runner/undici-core.ts).
    const { request: send } = await import('undici');
    const response = await send(url, {
      method: method as 'GET',
      headers: options.headers,
      body: options.body,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const text = (await response.body.text()).slice(0, KEPT_RESPONSE).trim();
    const ok = options.accept(response.statusCode);
    return {
      ok,
      status: response.statusCode,
      response: text,
      ...(ok ? {} : { error: `answered ${response.statusCode}: ${text.split('\n')[0]}` }),
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return { ok: false, error: `${(error as Error).message}${cause?.code ? ` (${cause.code})` : ''}` };
  }
}
