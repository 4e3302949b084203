// Schedule-lag benchmark: N probes every second against a local server, for a while. Reports the lag
// between planned and actual start (from the run log lines), the prober's CPU and RSS over time.
//
//   npm run bench -w client                    # 200 probes, 60 s (quick check)
//   npm run bench -w client -- --duration 300  # the 5-minute run recorded in BENCHMARKS.md
//   options: --probes N  --every 1s  --duration SECONDS  --warmup SECONDS
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startProcess } from '@sre-stack/runtime/testing';

const { values } = parseArgs({
  options: {
    probes: { type: 'string', default: '200' },
    every: { type: 'string', default: '1s' },
    duration: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '10' },
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
const config = join(dir, 'probes.yaml');
const lines = ['probes:'];
for (let i = 0; i < probeCount; i++) {
  lines.push(
    `  - { name: bench-${String(i).padStart(3, '0')}, url: "${targetUrl}/status", every: ${values.every} }`,
  );
}
await writeFile(config, `${lines.join('\n')}\n`);

const prober = startProcess(fileURLToPath(new URL('../bin/prober.ts', import.meta.url)), {
  args: ['--config', config, '--metrics-port', '0'],
});
const listening = await prober.waitForLine((line) => line.msg === 'listening', 20_000);
const pid = prober.child.pid as number;
const startedAt = Date.now();

interface Sample {
  atS: number;
  cpuTicks: number;
  rssMiB: number;
}
const samples: Sample[] = [];
function sample(): void {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuTicks = Number(fields[11]) + Number(fields[12]); // utime + stime
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  samples.push({ atS: (Date.now() - startedAt) / 1000, cpuTicks, rssMiB: rssKiB / 1024 });
}
sample();
const sampler = setInterval(sample, SAMPLE_EVERY_MS);
const progress = setInterval(() => {
  const done = Math.round((Date.now() - startedAt) / 1000);
  process.stderr.write(`  ${done}/${durationS + warmupS} s, ${prober.lines.length} lines\n`);
}, 30_000);
await new Promise((resolve) => setTimeout(resolve, (durationS + warmupS) * 1000));
clearInterval(sampler);
clearInterval(progress);
sample();

const metrics = await (await fetch(`http://127.0.0.1:${listening.metrics_port}/metrics`)).text();
const skipped = metrics
  .split('\n')
  .filter((line) => line.startsWith('prober_runs_skipped_total{'))
  .reduce((sum, line) => sum + Number(line.split(' ')[1]), 0);
await prober.stop('SIGTERM');
target.close();
await rm(dir, { recursive: true, force: true });

const warmupEnd = startedAt + warmupS * 1000;
const runs = prober.lines.filter((line) => line.msg === 'probe succeeded' || line.msg === 'probe failed');
const measured = runs.filter((line) => Date.parse(String(line.scheduled_at)) >= warmupEnd);
const lags = measured.map((line) => Number(line.lag_ms)).sort((a, b) => a - b);
const quantile = (q: number) => lags[Math.max(0, Math.ceil(q * lags.length) - 1)] ?? Number.NaN;
const failures = measured.filter((line) => line.msg === 'probe failed').length;
const durations = measured.map((line) => Number(line.duration_ms)).sort((a, b) => a - b);

const steady = samples.filter((entry) => entry.atS >= warmupS);
const first = steady[0] as Sample;
const last = steady.at(-1) as Sample;
const cpuPercent = ((last.cpuTicks - first.cpuTicks) / TICKS_PER_SECOND / (last.atS - first.atS)) * 100;
const rss = steady.map((entry) => entry.rssMiB);
// Least-squares slope of RSS over time, in MiB per minute: "flat" means close to 0.
const meanT = steady.reduce((sum, entry) => sum + entry.atS, 0) / steady.length;
const meanR = rss.reduce((sum, value) => sum + value, 0) / rss.length;
const slope =
  (steady.reduce((sum, entry) => sum + (entry.atS - meanT) * (entry.rssMiB - meanR), 0) /
    steady.reduce((sum, entry) => sum + (entry.atS - meanT) ** 2, 0)) *
  60;

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
console.log(`| prober CPU (% of one core) | ${f(cpuPercent, 1)} |`);
console.log(
  `| prober RSS first / last / min / max (MiB) | ${f(first.rssMiB, 1)} / ${f(last.rssMiB, 1)} / ${f(Math.min(...rss), 1)} / ${f(Math.max(...rss), 1)} |`,
);
console.log(`| RSS trend (MiB per minute, least squares) | ${f(slope, 3)} |`);
console.log(`| p99 lag under 10 ms | ${quantile(0.99) < 10 ? 'yes' : 'NO'} |`);
