// The schedule-lag benchmark's peer: the bare floor of a prober. N probes on the same plan as the real
// one (offset + k·period on the epoch, offsets spread over the period, a timer per probe armed from the
// plan), each run a fresh connection through the probe's undici Client (a dispatch handler, as the
// prober's runner uses), the body read to the end, the connection closed. No telemetry, no logs, no
// metrics, no state: what any prober pays for its runs.
// Prints one JSON line (runs, failures, lag quantiles in ms) when it gets SIGTERM.
//
//   node bench/bare-prober.ts --target http://127.0.0.1:8080/status --probes 200 --every 1000 --warmup 10
import { parseArgs } from 'node:util';
import { Client, type Dispatcher } from 'undici';

const { values } = parseArgs({
  options: {
    target: { type: 'string' },
    probes: { type: 'string', default: '200' },
    every: { type: 'string', default: '1000' },
    timeout: { type: 'string', default: '800' },
    warmup: { type: 'string', default: '10' },
  },
});
if (!values.target) throw new Error('--target URL is required');
const target = new URL(values.target);
const probeCount = Number(values.probes);
const periodMs = Number(values.every);
const timeoutMs = Number(values.timeout);
const measureFrom = Date.now() + Number(values.warmup) * 1000;
// Bounded: at most this many runs are kept (10 minutes of 1,000 probes a second).
const MAX_RUNS = 600_000;
const lags = new Float64Array(MAX_RUNS);
let measured = 0;
let failures = 0;

const now = () => performance.timeOrigin + performance.now();

/**
 * One run: a request on a fresh connection (`reset` closes it after the response), the body read to
 * the end through a plain dispatch handler. Each probe keeps its Client, as the prober does.
 */
function run(client: Client): Promise<void> {
  return new Promise((resolve) => {
    let status = 0;
    let running: Dispatcher.DispatchController | undefined;
    const timer = setTimeout(() => running?.abort(new Error('timeout')), timeoutMs);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      if (!ok || status !== 200) failures++;
      resolve();
    };
    client.dispatch(
      { path: target.pathname, method: 'GET', reset: true },
      {
        onRequestStart(controller) {
          running = controller;
        },
        onResponseStart(_controller, statusCode) {
          status = statusCode;
        },
        onResponseData() {},
        onResponseEnd: () => done(true),
        onResponseError: () => done(false),
      },
    );
  });
}

function schedule(offsetMs: number): void {
  const client = new Client(target.origin, { headersTimeout: 0, bodyTimeout: 0 });
  let next = (Math.floor((now() - offsetMs) / periodMs) + 1) * periodMs + offsetMs;
  const fire = () => {
    const started = now();
    if (started < next - 1) {
      setTimeout(fire, next - started);
      return;
    }
    if (next >= measureFrom && measured < MAX_RUNS) lags[measured++] = Math.max(0, started - next);
    next += periodMs;
    while (next <= started) next += periodMs;
    setTimeout(fire, next - now());
    void run(client);
  };
  setTimeout(fire, next - now());
}

for (let i = 0; i < probeCount; i++) schedule(Math.floor((i * periodMs) / probeCount));

process.on('SIGTERM', () => {
  const sorted = lags.subarray(0, measured).sort();
  const quantile = (q: number) => sorted[Math.max(0, Math.ceil(q * measured) - 1)] ?? Number.NaN;
  const lagMs = { p50: quantile(0.5), p90: quantile(0.9), p99: quantile(0.99), max: quantile(1) };
  // Exit once the line is out: stdout is a pipe, and pipes are written asynchronously.
  process.stdout.write(`${JSON.stringify({ runs: measured, failures, lagMs })}\n`, () => process.exit(0));
});
