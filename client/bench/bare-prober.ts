// The schedule-lag benchmark's peer: the bare floor of a prober. N probes on the same plan as the real
// one (offset + k·period on the epoch, offsets spread over the period, a timer per probe armed from the
// plan), each run a fresh connection through an undici Client, the body read to the end, the
// connection closed. No telemetry, no logs, no metrics, no state: what any prober pays for its runs.
// Prints one JSON line (runs, failures, lag quantiles in ms) when it gets SIGTERM.
//
//   node bench/bare-prober.ts --target http://127.0.0.1:8080/status --probes 200 --every 1000 --warmup 10
import { parseArgs } from 'node:util';
import { Client } from 'undici';

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

async function run(): Promise<void> {
  const client = new Client(target.origin, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  try {
    const response = await client.request({ path: target.pathname, method: 'GET' });
    for await (const _chunk of response.body) {
      // Read to the end, as the prober does.
    }
    if (response.statusCode !== 200) failures++;
  } catch {
    failures++;
  } finally {
    await client.close().catch(() => {});
  }
}

function schedule(offsetMs: number): void {
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
    void run();
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
