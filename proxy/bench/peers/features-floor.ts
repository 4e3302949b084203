// The floor for the proxy's every-policy route: bare-undici.ts plus the least that each of the proxy's
// features needs per request, written flat (callbacks, no objects, no promises, no configurability):
// host checks, trace ids and traceparent, X-Forwarded-*, a token bucket, a breaker and a retry budget in
// shared memory under a lock, one timer per try (the per-try timeout or the deadline), retries on 5xx,
// the proxy's response headers (RateLimit included), metrics in plain arrays, client-abort handling and
// a batched JSON access log.
// A benchmark peer (bench/ceiling.ts): the distance from bare-undici.ts to this is what the features
// cost at the least on Node; the distance from this to the proxy is what its design costs on top.
import { randomFillSync } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { Pool } from 'undici';
import { appendForwarded, clientAddress } from '../../src/http/forwarded.ts';
import { connectionTokens, isAlwaysHopByHop } from '../../src/http/hop-by-hop.ts';
import { jsonString, msText } from '../../src/telemetry/access-log.ts';

const [upstream, port] = process.argv.slice(2);
const pool = new Pool(upstream as string, { connections: 128 });

const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]*)(:\d{0,5})?$/;
const RETRIES = 2;
const PER_TRY_MS = 2000;
const DEADLINE_MS = 15_000;
const BREAKER_FAILURES = 5;
const BREAKER_OPEN_MS = 10_000;
const BUCKET_CAPACITY = 100_000_000;
const RATE_LIMIT_POLICY = `"bench";q=${BUCKET_CAPACITY};w=1`;

// Shared state, as worker threads would see it: [lock, consecutive failures, active requests, retries]
// and [tokens, refilled at, open until].
const ints = new Int32Array(new SharedArrayBuffer(16));
const numbers = new Float64Array(new SharedArrayBuffer(24));
numbers[0] = BUCKET_CAPACITY;
numbers[1] = Date.now();
function lock(): void {
  while (Atomics.compareExchange(ints, 0, 0, 1) !== 0);
}
function unlock(): void {
  Atomics.store(ints, 0, 0);
}

// Trace and span ids from a pool of random bytes refilled 4 KiB at a time.
const random = Buffer.alloc(4096);
let randomAt = random.length;
function hexId(bytes: number): string {
  if (randomAt + bytes > random.length) {
    randomFillSync(random);
    randomAt = 0;
  }
  randomAt += bytes;
  return random.toString('hex', randomAt - bytes, randomAt);
}

// Metrics: requests by method and status, in-flight, request and try durations, tries by result.
const BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const requestBuckets = new Float64Array(BOUNDS.length + 1);
const tryBuckets = new Float64Array(BOUNDS.length + 1);
const requests = new Map<string, Float64Array>();
const tries = new Map<number | string, number>();
let inFlight = 0;
function observe(buckets: Float64Array, seconds: number): void {
  let index = 0;
  while (index < BOUNDS.length && seconds > (BOUNDS[index] as number)) index++;
  (buckets[index] as number)++;
}

// The access log: lines gathered and written every 100 ms or 64 KiB.
let log = '';
function flushLog(): void {
  if (log !== '') process.stdout.write(log);
  log = '';
}
setInterval(flushLog, 100).unref();
let isoAt = 0;
let iso = '';
/** The time as the logs write it; formatted once per millisecond. */
function isoTime(): string {
  const now = Date.now();
  if (now !== isoAt) {
    isoAt = now;
    iso = new Date(now).toISOString();
  }
  return iso;
}

function upstreamHeaders(req: IncomingMessage, client: string, traceparent: string): string[] {
  const incoming = req.headers;
  const tokens = connectionTokens(incoming.connection);
  const out: string[] = [];
  for (const name in incoming) {
    const value = incoming[name];
    if (typeof value !== 'string' || name === 'host' || name.startsWith('x-forwarded-')) continue;
    if (isAlwaysHopByHop(name) || tokens?.has(name) || name === 'traceparent') continue;
    out.push(name, value);
  }
  const host = incoming.host ?? '';
  out.push('host', host, 'x-forwarded-for', appendForwarded(incoming['x-forwarded-for'], client));
  out.push('x-forwarded-proto', 'http', 'x-forwarded-host', host, 'traceparent', traceparent);
  return out;
}

createServer((req, res) => {
  const startedAt = performance.now();
  const host = req.headers.host;
  let hosts = 0;
  const raw = req.rawHeaders;
  for (let index = 0; index < raw.length; index += 2) {
    const name = raw[index] as string;
    if (name.length === 4 && name.toLowerCase() === 'host') hosts++;
  }
  const url = req.url ?? '/';
  if ((host !== undefined && !HOST.test(host)) || hosts > 1 || url.charCodeAt(0) !== 47) {
    res.writeHead(400).end();
    return;
  }
  const method = req.method ?? 'GET';
  const traceId = hexId(16);
  const spanId = hexId(8);
  const client = clientAddress(req.socket.remoteAddress);
  inFlight++;

  lock();
  const now = Date.now();
  numbers[0] = Math.min(BUCKET_CAPACITY, (numbers[0] as number) + (now - (numbers[1] as number)) * 1e5);
  numbers[1] = now;
  const admitted = (numbers[0] as number) >= 1;
  if (admitted) (numbers[0] as number)--;
  const remaining = Math.floor(numbers[0] as number);
  const open = (ints[1] as number) >= BREAKER_FAILURES && now < (numbers[2] as number);
  if (admitted && !open) (ints[2] as number)++;
  unlock();

  let status = 0;
  let attempts = 0;
  let serviceMs = -1;
  let abort: (() => void) | undefined;
  let clientLeft = false;
  const deadlineAt = startedAt + DEADLINE_MS;
  res.on('close', () => {
    if (res.writableFinished) return;
    clientLeft = true;
    abort?.();
  });
  const done = (answer: number): void => {
    status = answer;
    inFlight--;
    const ms = performance.now() - startedAt;
    observe(requestBuckets, ms / 1000);
    let byStatus = requests.get(method);
    if (byStatus === undefined) {
      byStatus = new Float64Array(600);
      requests.set(method, byStatus);
    }
    (byStatus[status] as number)++;
    const agent = req.headers['user-agent'];
    log += `{"level":"info","time":"${isoTime()}","service":"proxy","trace_id":"${traceId}","span_id":"${spanId}","route":"bench","method":"${method}","path":${jsonString(url)},"host":${jsonString(host ?? '')},"client_ip":"${client}","status":${status},"duration_ms":${msText(ms)},"upstream":"bench","target":"${upstream}","attempts":${attempts},"decided_by":"upstream","upstream_service_time_ms":${msText(serviceMs)}${agent === undefined ? '' : `,"user_agent":${jsonString(agent)}`},"msg":"request"}\n`;
    if (log.length > 65_536) flushLog();
  };
  if (!admitted || open) {
    res.writeHead(admitted ? 503 : 429).end();
    done(admitted ? 503 : 429);
    return;
  }
  const headers = upstreamHeaders(req, client, `00-${traceId}-${spanId}-01`);

  const tryOnce = (): void => {
    attempts++;
    const tryStartedAt = performance.now();
    let retrying = false;
    let tryStatus = 0;
    // One timer per try: the per-try timeout or what is left of the deadline, whichever ends first.
    const tryTimer = setTimeout(() => abort?.(), Math.min(PER_TRY_MS, deadlineAt - tryStartedAt));
    const settle = (result: number | string): void => {
      clearTimeout(tryTimer);
      observe(tryBuckets, (performance.now() - tryStartedAt) / 1000);
      tries.set(result, (tries.get(result) ?? 0) + 1);
      lock();
      // A client that left gives no verdict on the upstream, as in the proxy's breaker.
      if (!clientLeft) {
        if (typeof result === 'number' && result < 500) ints[1] = 0;
        else if (++(ints[1] as number) === BREAKER_FAILURES) numbers[2] = Date.now() + BREAKER_OPEN_MS;
      }
      if (!retrying) (ints[2] as number)--;
      else (ints[3] as number)++;
      unlock();
    };
    pool.dispatch(
      { path: url, method, headers, body: null, headersTimeout: 0 },
      {
        onRequestStart(controller) {
          abort = () => controller.abort(new Error('aborted'));
        },
        onResponseStart(_controller, statusCode, responseHeaders) {
          serviceMs = performance.now() - tryStartedAt;
          tryStatus = statusCode;
          if (statusCode >= 500 && attempts <= RETRIES) {
            retrying = true;
            return;
          }
          const tokens = connectionTokens(responseHeaders.connection);
          const head: string[] = [];
          for (const name in responseHeaders) {
            const value = responseHeaders[name];
            if (typeof value === 'string' && !isAlwaysHopByHop(name) && !tokens?.has(name))
              head.push(name, value);
          }
          head.push(
            'x-proxy-attempts',
            String(attempts),
            'x-upstream-service-time',
            String(Math.round(serviceMs)),
            'ratelimit-policy',
            RATE_LIMIT_POLICY,
            'ratelimit',
            `"bench";r=${remaining};t=1`,
          );
          res.writeHead(statusCode, head);
          status = statusCode;
        },
        onResponseData(controller, chunk) {
          if (retrying) return;
          if (!res.write(chunk)) {
            controller.pause();
            res.once('drain', () => controller.resume());
          }
        },
        onResponseEnd() {
          settle(tryStatus);
          if (retrying) return tryOnce();
          res.end();
          done(status);
        },
        onResponseError() {
          settle('error');
          if (!res.headersSent) res.writeHead(502);
          res.end();
          done(502);
        },
      },
    );
  };
  tryOnce();
}).listen(Number(port), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port: Number(port) })}\n`);
});

/** The counts, on SIGUSR2: to check that this peer does the work it claims. */
process.on('SIGUSR2', () => {
  const counts = [...requests].map(([method, byStatus]) => [method, byStatus.reduce((a, b) => a + b, 0)]);
  process.stderr.write(`${JSON.stringify({ inFlight, requests: counts, tries: [...tries] })}\n`);
});
