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

type Connector = buildConnector.connector;

/**
 * A connector for a probe's settings; its transport keeps it, runs wrap it to time their own socket. The
 * run's own timer bounds connecting too, so undici's connect timer (a second one per run, on undici's
 * own coarse timer list) is off. TCP keep-alive is off: the socket serves one run.
 */
function createConnector(tls: TlsSpec): Connector {
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

/**
 * The HTTP side of one probe (Go's "transport"): its connector, and one undici Client kept from run to run.
 * Every run still opens a connection of its own and closes it when it ends, as blackbox_exporter does;
 * only the Client outlives the run. A Client made per run would outlive the young generation with all it
 * holds (it keeps closures that refer back to it, see client/bench/young-survivors.ts) and cost old-
 * generation space, and collector time, at every run.
 */
export class HttpTransport {
  readonly #connector: Connector;
  #client: Client | undefined;
  #clientOrigin = '';
  /** The run the kept client serves: runs of one probe take turns on it. */
  #running: PhaseRecorder | undefined;
  #closed = false;

  constructor(tls: TlsSpec) {
    this.#connector = createConnector(tls);
  }

  async exchange(
    spec: RequestSpec,
    options: { timeoutMs: number; captureBody: boolean; now?: () => number },
  ): Promise<HttpOutcome> {
    const recorder = new PhaseRecorder(options.now);
    const target = targetOf(spec.url);
    // A run that overlaps another of the same probe (a steady-state check may) gets a client of its own.
    if (this.#running !== undefined || this.#closed) {
      const client = newClient(target.origin, recorder.wrap(this.#connector));
      return exchangeOn(client, spec, target, recorder, options.timeoutMs, options.captureBody);
    }
    if (this.#client === undefined || this.#clientOrigin !== target.origin) {
      this.#dropClient();
      this.#client = newClient(target.origin, this.connect.bind(this) as Connector);
      this.#clientOrigin = target.origin;
    }
    const client = this.#client;
    this.#running = recorder;
    try {
      return await exchangeOn(client, spec, target, recorder, options.timeoutMs, options.captureBody);
    } finally {
      this.#running = undefined;
      // A failed run destroyed the client (closeConnection): the next run starts on a new one.
      if (client.destroyed || this.#closed) this.#dropClient();
    }
  }

  /** Called by the kept client when it needs a connection: the running run's recorder times it. */
  connect(...args: Parameters<Connector>): void {
    if (this.#running) this.#running.connect(this.#connector, ...args);
    else args[1](new Error('no run of this probe is in progress'), null);
  }

  /** Lets the kept client go; a run in progress finishes first. */
  close(): void {
    this.#closed = true;
    if (this.#running === undefined) this.#dropClient();
  }

  #dropClient(): void {
    this.#client?.destroy().catch(() => {});
    this.#client = undefined;
  }
}

function newClient(origin: string, connect: Connector): Client {
  // undici's header and body timers are off too: the run's timer covers the whole exchange.
  return new Client(origin, { connect, headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 1000 });
}

async function exchangeOn(
  client: Client,
  spec: RequestSpec,
  target: Target,
  recorder: PhaseRecorder,
  timeoutMs: number,
  captureBody: boolean,
): Promise<HttpOutcome> {
  const startedAt = recorder.now();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('probe timeout')), timeoutMs);
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
      if (captureBody && captured < BODY_CAPTURE_LIMIT) {
        chunks.push(chunk.subarray(0, BODY_CAPTURE_LIMIT - captured));
        captured += chunk.length;
      }
    }
    recorder.mark('end');
  } catch (error) {
    recorder.mark('end');
    recorder.failed = true;
    outcome.error = error;
    outcome.timedOut = controller.signal.aborted;
  } finally {
    clearTimeout(timer);
    await closeConnection(client, recorder);
  }
  outcome.body = Buffer.concat(chunks);
  if (recorder.certificateExpiry !== undefined) outcome.certificateExpiry = recorder.certificateExpiry;
  return {
    ...outcome,
    durationMs: Math.round(((recorder.marks.end ?? recorder.now()) - startedAt) * 1000) / 1000,
    phases: recorder.phases(),
  };
}

/**
 * The connection served this run only. After a finished exchange, closing its socket (without an error)
 * is all it needs: the client then holds nothing (no socket, no timer, no request). The run waits for
 * the close, so that a kept client has let the socket go before the probe's next run; a client of the
 * run's own is left to the garbage collector (client.close() would build an error, a stack capture, to
 * destroy a socket that is already gone). After a failure the client may still be connecting or hold
 * the request, so it is destroyed.
 */
async function closeConnection(client: Client, recorder: PhaseRecorder): Promise<void> {
  const socket = recorder.socket;
  if (recorder.failed || socket === undefined) {
    socket?.destroy();
    await client.destroy().catch(() => {});
    return;
  }
  if (socket.closed) return;
  const closed = new Promise((resolve) => socket.once('close', resolve));
  socket.destroy();
  await closed;
}
