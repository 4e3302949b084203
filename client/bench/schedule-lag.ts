// Schedule-lag benchmark: N probes every second against a local server, for a while. Reports the lag
// between planned and actual start (from the run log lines), the prober's CPU and RSS over time, and
// the same for its peer, the bare floor (bench/bare-prober.ts: the same plan and a fresh connection per
// run, nothing else), measured right after it in the same run.
//
//   npm run bench -w client                    # 200 probes, 60 s (quick check)
//   npm run bench -w client -- --duration 300  # the 5-minute run recorded in BENCHMARKS.md
//   npm run bench -w client -- --probes 1000   # the 1,000-a-second run
//   options: --probes N  --every 1s  --duration SECONDS  --warmup SECONDS  --no-peer
//            --scrape-every 5s  (as Prometheus scrapes the prober in the stack; 0: never)
//            --watch-page       (keeps the status page's live stream, /events, open all along)
//            --node-options=--max-semi-space-size=8   (with "=": a value starting with "-" needs it)
//            --node-args=--heap-growing-percent=100   (on the prober's command line: V8 flags that
//                                                      NODE_OPTIONS refuses; space-separated)
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseDuration } from '@sre-stack/runtime/cli';
import { freePort } from '@sre-stack/runtime/testing';
import {
  commandMs,
  cpuSeconds,
  hostLoad,
  rssMiB,
  sleep,
  startWarm,
  stopService,
} from '@sre-stack/runtime/testing/bench';
import { LIMITS } from '../src/status/history.ts';

const { values } = parseArgs({
  options: {
    probes: { type: 'string', default: '200' },
    every: { type: 'string', default: '1s' },
    duration: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '10' },
    'node-options': { type: 'string', default: '' },
    'node-args': { type: 'string', default: '' },
    'no-peer': { type: 'boolean', default: false },
    'scrape-every': { type: 'string', default: '5s' },
    'watch-page': { type: 'boolean', default: false },
  },
});
const probeCount = Number(values.probes);
const durationS = Number(values.duration);
const warmupS = Number(values.warmup);
const SAMPLE_EVERY_MS = 5000;
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

const target = createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'text/plain', 'content-length': 3 });
  response.end('OK\n');
});
await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
const targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;

const dir = await mkdtemp(join(tmpdir(), 'prober-bench-'));
const proberBin = fileURLToPath(new URL('../bin/prober.mjs', import.meta.url));

// Start-up and rest: --help and --once answer without the SDK; a prober with one probe a minute is at
// rest. Each figure is printed with the host load at the time.
const oneProbe = join(dir, 'one-probe.yaml');
await writeFile(oneProbe, `probes:\n  - { name: rest, url: "${targetUrl}/status", every: 1m }\n`);
const helpMs = await commandMs([proberBin, '--help']);
const onceMs = await commandMs([proberBin, '--once', '--config', oneProbe]);
const startupLoad = hostLoad();
const restMetricsPort = await freePort();
// After one unmeasured start: a start from a filled compile cache, as a user's is.
const resting = await startWarm(
  [proberBin, '--config', oneProbe, '--metrics-port', String(restMetricsPort)],
  `http://127.0.0.1:${restMetricsPort}/readyz`,
  { LOG_FORMAT: 'json', NODE_OPTIONS: values['node-options'] },
);
await sleep(3000);
const restMiB = rssMiB(resting.child.pid as number);
const restLoad = hostLoad();
await stopService(resting.child);
const config = join(dir, 'probes.yaml');
const lines = ['probes:'];
for (let i = 0; i < probeCount; i++) {
  lines.push(
    `  - { name: bench-${String(i).padStart(3, '0')}, url: "${targetUrl}/status", every: ${values.every} }`,
  );
}
await writeFile(config, `${lines.join('\n')}\n`);

// The prober's stdout goes to a file, not a pipe: its log writes are synchronous, and a pipe that the
// benchmark reads slowly would block the prober and show up as lag that is the benchmark's own.
const logFile = join(dir, 'prober.log');
const logFd = openSync(logFile, 'w');
const nodeArgs = values['node-args'].split(' ').filter(Boolean);
const prober = spawn(process.execPath, [...nodeArgs, proberBin, '--config', config, '--metrics-port', '0'], {
  stdio: ['ignore', logFd, 'inherit'],
  env: { ...process.env, LOG_FORMAT: 'json', NODE_OPTIONS: values['node-options'] },
});
closeSync(logFd);
const exited = new Promise<number | null>((resolve) => prober.on('exit', (code) => resolve(code)));
let metricsPort: number | undefined;
for (let waited = 0; metricsPort === undefined && waited < 20_000; waited += 100) {
  await new Promise((resolve) => setTimeout(resolve, 100));
  const match = /"metrics_port":(\d+)[^\n]*"msg":"listening"/.exec(readFileSync(logFile, 'utf8'));
  if (match) metricsPort = Number(match[1]);
}
if (metricsPort === undefined) throw new Error('the prober did not start');
const pid = prober.pid as number;
const startedAt = Date.now();
const loadBefore = loadavg();

interface Sample {
  atS: number;
  cpuTicks: number;
  /** Of cpuTicks, those spent in the kernel (system calls: connect, write, read, close). */
  systemTicks: number;
  rssMiB: number;
}
const samples: Sample[] = [];
function sample(): void {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuTicks = Number(fields[11]) + Number(fields[12]); // utime + stime
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  const systemTicks = Number(fields[12]);
  samples.push({ atS: (Date.now() - startedAt) / 1000, cpuTicks, systemTicks, rssMiB: rssKiB / 1024 });
}
sample();
const sampler = setInterval(sample, SAMPLE_EVERY_MS);
// Prometheus scrapes the prober while it probes: a scrape that stalls the event loop is schedule lag.
const scrapeEveryMs = parseDuration(values['scrape-every']) ?? 0;
const scrapes: { ms: number; bytes: number }[] = [];
async function scrape(): Promise<void> {
  const started = performance.now();
  const body = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).arrayBuffer();
  scrapes.push({ ms: performance.now() - started, bytes: body.byteLength });
}
const scraper = scrapeEveryMs > 0 ? setInterval(() => void scrape(), scrapeEveryMs) : undefined;
// A status page left open: its stream gets a snapshot of every probe a few times a second.
const pageStream = new AbortController();
let pageBytes = 0;
if (values['watch-page']) {
  const response = await fetch(`http://127.0.0.1:${metricsPort}/events`, { signal: pageStream.signal });
  void (async () => {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>)
      pageBytes += chunk.length;
  })().catch(() => {});
}
const progress = setInterval(() => {
  const done = Math.round((Date.now() - startedAt) / 1000);
  process.stderr.write(`  ${done}/${durationS + warmupS} s\n`);
}, 30_000);
await new Promise((resolve) => setTimeout(resolve, (durationS + warmupS) * 1000));
clearInterval(sampler);
clearInterval(progress);
clearInterval(scraper);
pageStream.abort();
sample();
// Runs planned after this instant overlap the final scrape and the shutdown: they are not measured.
const measuredEnd = Date.now();

const loadAfter = loadavg();
const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
const skipped = metrics
  .split('\n')
  .filter((line) => line.startsWith('prober_runs_skipped_total{'))
  .reduce((sum, line) => sum + Number(line.split(' ')[1]), 0);
prober.kill('SIGTERM');
const exitCode = await exited;
const peer = values['no-peer'] ? undefined : await measurePeer();
target.close();
const logLines = readFileSync(logFile, 'utf8')
  .split('\n')
  .filter((line) => line.includes('"msg":"probe '))
  .map((line) => JSON.parse(line) as Record<string, unknown>);
await rm(dir, { recursive: true, force: true });

const warmupEnd = startedAt + warmupS * 1000;
const runs = logLines.filter((line) => line.msg === 'probe succeeded' || line.msg === 'probe failed');
const measured = runs.filter((line) => {
  const plannedAt = Date.parse(String(line.scheduled_at));
  return plannedAt >= warmupEnd && plannedAt < measuredEnd;
});
const lags = measured.map((line) => Number(line.lag_ms)).sort((a, b) => a - b);
const quantile = (q: number) => lags[Math.max(0, Math.ceil(q * lags.length) - 1)] ?? Number.NaN;
const failures = measured.filter((line) => line.msg === 'probe failed').length;
const durations = measured.map((line) => Number(line.duration_ms)).sort((a, b) => a - b);

const afterWarmup = samples.filter((entry) => entry.atS >= warmupS - 0.5);
const first = afterWarmup[0] as Sample;
const last = afterWarmup.at(-1) as Sample;
const cpuPercent = ((last.cpuTicks - first.cpuTicks) / TICKS_PER_SECOND / (last.atS - first.atS)) * 100;
// V8 grows its young generation during the first tens of seconds, and the status page's history fills
// until it holds its bounded number of runs per probe (200 s at one run a second): flatness is judged
// after both, when the run is long enough (the 5-minute soak is).
const historyFullS = (LIMITS.recentRunsPerProbe * (parseDuration(values.every) ?? 1000)) / 1000;
const rssFromS = Math.min(Math.max(60, historyFullS), warmupS + (durationS * 2) / 3);
const steady = samples.filter((entry) => entry.atS >= rssFromS - 0.5);
const rss = steady.map((entry) => entry.rssMiB);
// Least-squares slope of RSS over time, in MiB per minute: "flat" means close to 0.
const meanT = steady.reduce((sum, entry) => sum + entry.atS, 0) / steady.length;
const meanR = rss.reduce((sum, value) => sum + value, 0) / rss.length;
const slope =
  (steady.reduce((sum, entry) => sum + (entry.atS - meanT) * (entry.rssMiB - meanR), 0) /
    steady.reduce((sum, entry) => sum + (entry.atS - meanT) ** 2, 0)) *
  60;

interface PeerResult {
  runs: number;
  failures: number;
  lagMs: { p50: number; p90: number; p99: number; max: number };
  cpuPercent: number;
  rssMiB: number;
  load: string;
}

/** The bare floor, on the same plan for as long, with the same warm-up; its CPU is taken after warm-up. */
async function measurePeer(): Promise<PeerResult> {
  const peerBin = fileURLToPath(new URL('./bare-prober.ts', import.meta.url));
  const args = [peerBin, '--target', `${targetUrl}/status`, '--probes', String(probeCount)];
  args.push('--every', String(parseDuration(values.every)), '--warmup', String(warmupS));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const done = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const loadStart = loadavg();
  await sleep(warmupS * 1000);
  const cpuBefore = cpuSeconds(child.pid as number);
  await sleep(durationS * 1000);
  const cpuAfter = cpuSeconds(child.pid as number);
  const peerRss = rssMiB(child.pid as number);
  const loadEnd = loadavg();
  child.kill('SIGTERM');
  await done;
  const parsed = JSON.parse(output) as Pick<PeerResult, 'runs' | 'failures' | 'lagMs'>;
  const load = `${loadStart.map((value) => value.toFixed(2)).join(' ')} / ${loadEnd.map((value) => value.toFixed(2)).join(' ')}`;
  return { ...parsed, cpuPercent: ((cpuAfter - cpuBefore) / durationS) * 100, rssMiB: peerRss, load };
}

const f = (value: number, digits = 2) => value.toFixed(digits);
console.log(
  `\n## Prober schedule lag: ${probeCount} probes every ${values.every}, ${durationS} s measured after ${warmupS} s warm-up`,
);
console.log(`node ${process.version}, ${new Date().toISOString()}\n`);
console.log('| metric | value |');
console.log('| --- | --- |');
console.log(`| runs measured (expected ≈ ${probeCount * durationS}) | ${measured.length} |`);
console.log(`| failed runs | ${failures} |`);
console.log(`| skipped runs (overlap + missed, whole run) | ${skipped} |`);
console.log(
  `| lag p50 / p90 / p99 / max (ms) | ${f(quantile(0.5))} / ${f(quantile(0.9))} / ${f(quantile(0.99))} / ${f(lags.at(-1) ?? Number.NaN)} |`,
);
console.log(
  `| probe duration p50 / p99 (ms) | ${f(durations[Math.floor(durations.length / 2)] ?? Number.NaN)} / ${f(durations[Math.ceil(0.99 * durations.length) - 1] ?? Number.NaN)} |`,
);
if (scrapes.length > 0) {
  const scrapeMs = scrapes.map((entry) => entry.ms).sort((a, b) => a - b);
  const mib = (scrapes.at(-1)?.bytes ?? 0) / 1024 / 1024;
  console.log(
    `| /metrics scrapes every ${values['scrape-every']}: count / size / p50 / max time | ${scrapes.length} / ${f(mib, 1)} MiB / ${f(scrapeMs[Math.floor(scrapeMs.length / 2)] ?? Number.NaN, 0)} / ${f(scrapeMs.at(-1) ?? Number.NaN, 0)} ms |`,
  );
}
if (values['watch-page'])
  console.log(`| status page stream (/events) received | ${f(pageBytes / 1024 / 1024, 1)} MiB |`);
console.log(`| prober CPU (% of one core) | ${f(cpuPercent, 1)} |`);
const cpuMsPerRun = (cpuPercent * 10 * durationS) / Math.max(1, measured.length);
const systemShare = (last.systemTicks - first.systemTicks) / Math.max(1, last.cpuTicks - first.cpuTicks);
console.log(
  `| prober CPU per run (ms, all threads), of which in the kernel | ${f(cpuMsPerRun, 3)}, ${f(systemShare * 100, 0)} % |`,
);
console.log(
  `| prober RSS after warm-up / at ${rssFromS} s / at end / max (MiB) | ${f(first.rssMiB, 1)} / ${f((steady[0] as Sample).rssMiB, 1)} / ${f(last.rssMiB, 1)} / ${f(Math.max(...rss), 1)} |`,
);
console.log(`| RSS trend from ${rssFromS} s on (MiB per minute, least squares) | ${f(slope, 3)} |`);
console.log(`| p99 lag under 10 ms | ${quantile(0.99) < 10 ? 'yes' : 'NO'} |`);
console.log(
  `| host load average (1/5/15 min) before / after, ${cpus().length} CPUs | ${loadBefore.map((value) => f(value)).join(' ')} / ${loadAfter.map((value) => f(value)).join(' ')} |`,
);
console.log(`| prober exit code after SIGTERM | ${exitCode} |`);
if (peer) {
  const { p50, p90, p99, max } = peer.lagMs;
  const peerMsPerRun = (peer.cpuPercent * 10 * durationS) / Math.max(1, peer.runs);
  console.log(`| peer (bare floor, right after): runs / failed | ${peer.runs} / ${peer.failures} |`);
  console.log(`| peer lag p50 / p90 / p99 / max (ms) | ${f(p50)} / ${f(p90)} / ${f(p99)} / ${f(max)} |`);
  console.log(
    `| peer CPU (% of one core) / per run (ms) / RSS at end (MiB) | ${f(peer.cpuPercent, 1)} / ${f(peerMsPerRun, 3)} / ${f(peer.rssMiB, 1)} |`,
  );
  console.log(
    `| prober ÷ peer: p99 lag / CPU per run | ${f(quantile(0.99) / p99)}× / ${f(cpuMsPerRun / peerMsPerRun)}× |`,
  );
  console.log(`| host load average during the peer (start / end) | ${peer.load} |`);
}
console.log(
  `| prober at rest (1 probe a minute, 3 s after ready): RSS / time to ready | ${f(restMiB, 1)} MiB / ${f(resting.readyMs, 0)} ms (load ${restLoad}) |`,
);
console.log(
  `| \`prober --help\` / \`prober --once\` (1 probe), wall time | ${f(helpMs, 0)} / ${f(onceMs, 0)} ms (load ${startupLoad}) |`,
);
