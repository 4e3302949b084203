// One HTTP exchange on a fresh connection, timed by phase, with the whole run bounded by the timeout.
import { buildConnector, Client } from 'undici';
import type { Phases, RequestSpec, TlsSpec } from '../types.ts';
import { PhaseRecorder } from './phases.ts';

/** Body bytes kept for assertions; the rest is read and dropped, so the transfer phase stays honest. */
export const BODY_CAPTURE_LIMIT = 1024 * 1024;

export interface HttpOutcome {
  statusCode?: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  error?: unknown;
  timedOut: boolean;
  startedAt: number;
  durationMs: number;
  phases: Phases;
  certificateExpiry?: number;
}

export type Connector = buildConnector.connector;

/**
 * A connector for a probe's settings; the probe keeps it, runs wrap it to time their own socket. The
 * run's own timer bounds connecting too, so undici's connect timer (a second one per run, on undici's
 * own coarse timer list) is off. TCP keep-alive is off: the socket serves one run.
 */
export function createConnector(tls: TlsSpec): Connector {
  return buildConnector({
    timeout: 0,
    keepAlive: false,
    rejectUnauthorized: !tls.insecureSkipVerify,
    ...(tls.ca ? { ca: tls.ca } : {}),
    ...(tls.serverName ? { servername: tls.serverName } : {}),
    // A probe measures one handshake per run, as blackbox_exporter does: no session resumption.
    maxCachedSessions: 0,
  });
}

interface Target {
  origin: string;
  path: string;
}

/** URLs come from the config, so a few distinct ones; more than this means churn, and it starts over. */
const TARGET_MEMO_LIMIT = 10_000;
const targets = new Map<string, Target>();

/** Origin and path of a URL, parsed once per URL rather than once per run. */
function targetOf(url: string): Target {
  let target = targets.get(url);
  if (target === undefined) {
    if (targets.size >= TARGET_MEMO_LIMIT) targets.clear();
    const parsed = new URL(url);
    target = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
    targets.set(url, target);
  }
  return target;
}

export async function executeHttp(
  spec: RequestSpec,
  options: { timeoutMs: number; connector: Connector; captureBody: boolean; now?: () => number },
): Promise<HttpOutcome> {
  const recorder = new PhaseRecorder(options.now);
  const startedAt = recorder.now();
  const target = targetOf(spec.url);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('probe timeout')), options.timeoutMs);
  // undici's header and body timers are off too: the run's timer above covers the whole exchange.
  const client = new Client(target.origin, {
    connect: recorder.wrap(options.connector),
    headersTimeout: 0,
    bodyTimeout: 0,
    keepAliveTimeout: 1000,
  });
  const chunks: Buffer[] = [];
  let captured = 0;
  const outcome: Omit<HttpOutcome, 'durationMs' | 'phases'> = {
    headers: {},
    body: Buffer.alloc(0),
    timedOut: false,
    startedAt,
  };
  try {
    const response = await client.request({
      path: target.path,
      method: spec.method as 'GET',
      headers: spec.headers,
      body: spec.body,
      signal: controller.signal,
    });
    recorder.mark('firstByte');
    outcome.statusCode = response.statusCode;
    outcome.headers = response.headers;
    // Always read the body to the end: an unread body holds the connection and hides transfer time.
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      if (options.captureBody && captured < BODY_CAPTURE_LIMIT) {
        chunks.push(chunk.subarray(0, BODY_CAPTURE_LIMIT - captured));
        captured += chunk.length;
      }
    }
    recorder.mark('end');
  } catch (error) {
    recorder.mark('end');
    outcome.error = error;
    outcome.timedOut = controller.signal.aborted;
  } finally {
    clearTimeout(timer);
    // The connection served this run only: closing its socket, without an error, is all a finished
    // exchange needs; the client then holds nothing (no socket, no timer, no request) and is left to
    // the garbage collector. client.close() would build an error (a stack capture) to destroy a socket
    // that is already gone. After a failure the client may still be connecting or hold the request,
    // so it is destroyed.
    const socket = recorder.socket;
    socket?.destroy();
    if (outcome.error !== undefined || socket === undefined) await client.destroy().catch(() => {});
  }
  outcome.body = Buffer.concat(chunks);
  if (recorder.certificateExpiry !== undefined) outcome.certificateExpiry = recorder.certificateExpiry;
  return {
    ...outcome,
    durationMs: Math.round(((recorder.marks.end ?? recorder.now()) - startedAt) * 1000) / 1000,
    phases: recorder.phases(),
  };
}
