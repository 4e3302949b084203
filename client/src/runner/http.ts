// One HTTP exchange on a fresh connection, timed by phase, with the whole run bounded by the timeout.
import type { Phases, RequestSpec, TlsSpec } from '../types.ts';
import { PhaseRecorder } from './phases.ts';
import {
  buildConnector,
  Client,
  type Connector,
  type DispatchController,
  type DispatchHandler,
} from './undici-core.ts';

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
  const exchange = new ExchangeHandler(recorder, captureBody);
  const timer = setTimeout(() => exchange.timeOut(), timeoutMs);
  client.dispatch(
    { path: target.path, method: spec.method as 'GET', headers: spec.headers, body: spec.body ?? null },
    exchange,
  );
  const error = await exchange.settled;
  clearTimeout(timer);
  await closeConnection(client, recorder);
  const outcome: HttpOutcome = {
    headers: exchange.headers,
    body: Buffer.concat(exchange.chunks),
    timedOut: exchange.timedOut,
    startedAt,
    durationMs: Math.round(((recorder.marks.end ?? recorder.now()) - startedAt) * 1000) / 1000,
    phases: recorder.phases(),
  };
  if (exchange.statusCode !== undefined) outcome.statusCode = exchange.statusCode;
  if (error !== undefined) outcome.error = error;
  if (recorder.certificateExpiry !== undefined) outcome.certificateExpiry = recorder.certificateExpiry;
  return outcome;
}

/**
 * undici's handler for one exchange. It reads the body as it arrives, with no stream around it (what
 * `client.request()` would add, per run), and the run's timer ends the exchange in any phase: an abort
 * signal reaches undici only once the request is on the wire, so a handshake that never finished held
 * the run long past its timeout.
 */
class ExchangeHandler implements DispatchHandler {
  statusCode: number | undefined;
  headers: HttpOutcome['headers'] = {};
  readonly chunks: Buffer[] = [];
  timedOut = false;
  /** Resolves once, with the error that ended the exchange or undefined when the body was read. */
  readonly settled: Promise<unknown>;
  #settle!: (error: unknown) => void;
  #done = false;
  #captured = 0;
  #controller: DispatchController | undefined;
  readonly #recorder: PhaseRecorder;
  readonly #captureBody: boolean;

  constructor(recorder: PhaseRecorder, captureBody: boolean) {
    this.#recorder = recorder;
    this.#captureBody = captureBody;
    this.settled = new Promise((resolve) => {
      this.#settle = resolve;
    });
  }

  timeOut(): void {
    if (this.#done) return;
    this.timedOut = true;
    const error = new Error('probe timeout');
    // Before the request is written there is nothing to abort: the run ends now, and closeConnection
    // destroys the client, with its connection attempt.
    this.#controller?.abort(error);
    this.#finish(error);
  }

  onRequestStart(controller: DispatchController): void {
    if (this.#done) controller.abort(new Error('probe timeout'));
    else this.#controller = controller;
  }

  onResponseStart(
    _controller: DispatchController,
    statusCode: number,
    headers: HttpOutcome['headers'],
  ): void {
    if (statusCode < 200) return; // 1xx: the response is still to come
    this.#recorder.mark('firstByte');
    this.statusCode = statusCode;
    this.headers = headers;
  }

  // Always read the body to the end: an unread body holds the connection and hides transfer time.
  onResponseData(_controller: DispatchController, chunk: Buffer): void {
    if (!this.#captureBody || this.#captured >= BODY_CAPTURE_LIMIT) return;
    this.chunks.push(chunk.subarray(0, BODY_CAPTURE_LIMIT - this.#captured));
    this.#captured += chunk.length;
  }

  onResponseEnd(): void {
    this.#finish(undefined);
  }

  onResponseError(_controller: DispatchController | null, error: Error): void {
    this.#finish(error);
  }

  #finish(error: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#recorder.mark('end');
    if (error !== undefined) this.#recorder.failed = true;
    this.#settle(error);
  }
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
