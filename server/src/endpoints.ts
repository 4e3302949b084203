// What each endpoint does. Routing, method checks, auth and the access log live in app.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Span } from '@opentelemetry/api';
import { exemplarOf, formatDuration, observeSeconds, parseDuration } from '@sre-stack/runtime';
import type { Chaos, ChaosSnapshot } from './chaos.ts';
import { describeProfile } from './chaos-profile.ts';
import { readJsonBody } from './http/body.ts';
import { sendJson, sendText } from './http/respond.ts';
import { injectedDelay } from './metrics.ts';
import { parseStatusCode, statusText } from './status-codes.ts';

export interface RequestContext {
  request: IncomingMessage;
  response: ServerResponse;
  /** Path segments captured by the route, percent-decoded. */
  params: string[];
  /** Extra fields for this request's access-log line. */
  log: Record<string, unknown>;
  /** The request's SERVER span. Only state-changing requests run inside its context (app.ts). */
  span: Span;
  /** Aborted when the client goes away or the server stops waiting (shutdown). */
  signal: AbortSignal;
}

export type Endpoint = (context: RequestContext) => void | Promise<void>;

export interface EndpointOptions {
  chaos: Chaos;
  /** Waits ms, or less if the signal aborts; never rejects. Tests pass one that returns at once. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  bodyLimitBytes: number;
}

// Node's writeEarlyHints sends nothing without a Link header; preconnect to ourselves asks nothing of a client.
const EARLY_HINTS = { link: '</status>; rel=preconnect' };

/**
 * Answers a status code the way Go's `w.WriteHeader(code); fmt.Fprintln(w, http.StatusText(code))`
 * does: 100, 102 and 103 go out as an interim response and the final answer is 200 with the 1xx phrase
 * as body. 101 cannot be sent without an upgrade, so it is a plain 200 too. 204, 205 and 304 carry no body.
 */
export function writeStatus(response: ServerResponse, code: number): { status: number } {
  const text = `${statusText(code)}\n`;
  if (code >= 100 && code < 200) {
    if (code === 100) response.writeContinue();
    else if (code === 102) response.writeProcessing();
    else if (code === 103) response.writeEarlyHints(EARLY_HINTS);
    sendText(response, 200, text);
    return { status: 200 };
  }
  if (code === 204 || code === 205 || code === 304) {
    response.writeHead(code, statusText(code), code === 205 ? { 'content-length': 0 } : {});
    response.end();
    return { status: code };
  }
  sendText(response, code, text);
  return { status: code };
}

export function describeState(state: ChaosSnapshot) {
  return {
    flaky: state.flaky,
    status_code: state.statusCode,
    profile: describeProfile(state.profile),
    pinned_until: state.pinnedUntil === undefined ? null : new Date(state.pinnedUntil).toISOString(),
  };
}

/** The longest a PUT /flaky may pin chaos: long enough for any experiment, short enough to be noticed. */
export const MAX_PIN_MS = 24 * 3_600_000;

/** PUT /flaky's optional `duration`, taken off the body before the rest is read as a profile. */
function takePinDuration(
  body: unknown,
): { ok: true; ms?: number; rest: unknown } | { ok: false; message: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !('duration' in body))
    return { ok: true, rest: body };
  const { duration, ...rest } = body as Record<string, unknown>;
  const ms = typeof duration === 'string' ? parseDuration(duration) : undefined;
  if (ms === undefined || ms <= 0 || ms > MAX_PIN_MS)
    return {
      ok: false,
      message: `write a duration like 60s, 5m or 1h (more than 0, at most ${formatDuration(MAX_PIN_MS)}), got ${JSON.stringify(duration)}`,
    };
  return { ok: true, ms, rest };
}

export function createEndpoints(options: EndpointOptions) {
  const { chaos, sleep } = options;

  const getStatus: Endpoint = async (context) => {
    const { response, log } = context;
    const decision = chaos.decide();
    log.flaky = decision.flaky;
    if (decision.flaky) {
      log.injected = decision.injected;
      log.delay_ms = Math.round(decision.delayMs * 10) / 10;
      observeSeconds(injectedDelay, {}, decision.delayMs / 1000, exemplarOf(context.span) ?? {});
      // The signal is made on first use: only a request that waits reads it.
      if (decision.delayMs > 0) await sleep(decision.delayMs, context.signal);
    }
    if (response.destroyed) return;
    const { status } = writeStatus(response, decision.code);
    // 1xx codes end as a 200: the log keeps the code that was chosen.
    if (status !== decision.code) log.chosen_code = decision.code;
  };

  const postStatus: Endpoint = ({ response, params }) => {
    const parsed = parseStatusCode(params[0] ?? '');
    if (!parsed.ok) return sendText(response, 400, `${statusText(400)}: ${parsed.error}`);
    const changed = chaos.setStatusCode(parsed.code, 'api');
    const status = changed ? 202 : 200;
    sendText(response, status, statusText(status));
  };

  const getFlaky: Endpoint = ({ response }) => sendJson(response, 200, describeState(chaos.snapshot));

  /** Why a change is refused while chaos is pinned, and what to do instead. */
  const refusePinned = (response: ServerResponse, until: number, what: string) => {
    const at = new Date(until).toISOString();
    sendText(
      response,
      409,
      `${statusText(409)}: chaos is pinned until ${at} (PUT /flaky with a duration), so ${what} changed nothing. Wait until then, or PUT /flaky with a new duration.\n`,
      { 'x-flaky': chaos.snapshot.flaky ? 'on' : 'off', 'x-chaos-pinned-until': at },
    );
  };

  /**
   * The original's toggle. X-Flaky tells the caller which way it went, without changing the body.
   * While chaos is pinned it answers 409 and changes nothing: the prober's schedule must not undo a pin.
   */
  const postFlaky: Endpoint = ({ response }) => {
    const until = chaos.pinnedUntil;
    if (until !== undefined) return refusePinned(response, until, 'POST /flaky');
    const flaky = chaos.toggleFlaky('api');
    sendText(response, 202, statusText(202), { 'x-flaky': flaky ? 'on' : 'off' });
  };

  const putFlaky: Endpoint = async ({ request, response }) => {
    const body = await readJsonBody(request, options.bodyLimitBytes);
    if (!body.ok) {
      // The rest of an oversized body is never read, so it must not be parsed as the next request.
      if (body.status === 413) response.setHeader('connection', 'close');
      return sendJson(response, body.status, { error: body.error });
    }
    const pin = takePinDuration(body.value);
    if (!pin.ok)
      return sendJson(response, 400, {
        error: 'invalid chaos profile',
        issues: [{ field: 'duration', message: pin.message }],
      });
    // The schema and zod load with the first profile sent, not with the server (chaos-profile.ts).
    const { parseProfileDocument } = await import('./profile.ts');
    const parsed = parseProfileDocument(pin.rest);
    if (!parsed.ok) return sendJson(response, 400, { error: 'invalid chaos profile', issues: parsed.issues });
    const { document } = parsed;
    const apply = () => {
      chaos.setProfile(document.profile, 'api');
      if (document.enabled !== undefined) chaos.setFlaky(document.enabled, 'api');
    };
    if (pin.ms !== undefined) chaos.pin(pin.ms, apply);
    else {
      const until = chaos.pinnedUntil;
      if (until !== undefined) return refusePinned(response, until, 'a PUT /flaky without a duration');
      apply();
    }
    sendJson(response, 200, describeState(chaos.snapshot));
  };

  return { getStatus, postStatus, getFlaky, postFlaky, putFlaky };
}
