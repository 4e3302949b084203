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

/** A connector for a probe's settings; the probe keeps it, runs wrap it to time their own socket. */
export function createConnector(tls: TlsSpec, timeoutMs: number): Connector {
  return buildConnector({
    timeout: timeoutMs,
    rejectUnauthorized: !tls.insecureSkipVerify,
    ...(tls.ca ? { ca: tls.ca } : {}),
    ...(tls.serverName ? { servername: tls.serverName } : {}),
    // A probe measures one handshake per run, as blackbox_exporter does: no session resumption.
    maxCachedSessions: 0,
  });
}

export async function executeHttp(
  spec: RequestSpec,
  options: { timeoutMs: number; connector: Connector; captureBody: boolean; now?: () => number },
): Promise<HttpOutcome> {
  const recorder = new PhaseRecorder(options.now);
  const startedAt = recorder.now();
  const url = new URL(spec.url);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('probe timeout')), options.timeoutMs);
  const client = new Client(url.origin, {
    connect: recorder.wrap(options.connector),
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
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
      path: `${url.pathname}${url.search}`,
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
    // close() once the exchange is done: destroy() would build an error (with its stack) to fail requests
    // that are not there. After a failure the connection may be mid-request, so it is destroyed.
    await (outcome.error === undefined ? client.close() : client.destroy()).catch(() => {});
  }
  outcome.body = Buffer.concat(chunks);
  if (recorder.certificateExpiry !== undefined) outcome.certificateExpiry = recorder.certificateExpiry;
  return {
    ...outcome,
    durationMs: Math.round(((recorder.marks.end ?? recorder.now()) - startedAt) * 1000) / 1000,
    phases: recorder.phases(),
  };
}
