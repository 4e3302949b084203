// What every service's benchmark needs: start a bin and wait until it is ready, read its RSS and CPU
// from /proc, drive it with wrk, fit an RSS slope, and name the host load next to every figure (the
// machine is shared; a figure taken at a high load average says more about the neighbours).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

export const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export function hostLoad(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
}

export function rssMiB(pid: number): number {
  const kib = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kib / 1024;
}

/** User + system CPU time of a process so far, in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

export const median = (list: number[]): number => {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

/** Least-squares slope of RSS over time, in MiB per minute: "flat" means close to 0. */
export function slopePerMinute(samples: { atS: number; rssMiB: number }[]): number {
  const meanT = samples.reduce((sum, entry) => sum + entry.atS, 0) / samples.length;
  const meanR = samples.reduce((sum, entry) => sum + entry.rssMiB, 0) / samples.length;
  const covariance = samples.reduce((sum, entry) => sum + (entry.atS - meanT) * (entry.rssMiB - meanR), 0);
  const variance = samples.reduce((sum, entry) => sum + (entry.atS - meanT) ** 2, 0);
  return (covariance / variance) * 60;
}

export function findTool(tool: string, install: string): string {
  for (const path of [`/usr/bin/${tool}`, `/usr/local/bin/${tool}`]) if (existsSync(path)) return path;
  try {
    return execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
  } catch {
    process.stderr.write(`bench: ${tool} not found; install it: ${install}\n`);
    process.exit(1);
  }
}

export interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

function latencyMs(text: string, percentile: string): number {
  const match = new RegExp(`^\\s+${percentile}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(text);
  if (!match) return Number.NaN;
  const value = Number(match[1]);
  return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value;
}

export function wrk(url: string, seconds: number, connections: number): WrkResult {
  const output = execFileSync(
    findTool('wrk', 'apt-get install -y wrk'),
    ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', url],
    { encoding: 'utf8' },
  );
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? Number.NaN),
    p50: latencyMs(output, '50'),
    p99: latencyMs(output, '99'),
    errors: Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0),
  };
}

const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

/**
 * Starts a process (stdout to /dev/null; Node unless `command` names another program) and resolves once
 * `readyUrl` answers 200, with the time taken.
 */
export async function startService(
  args: readonly string[],
  readyUrl: string,
  env: NodeJS.ProcessEnv = {},
  command: string = process.execPath,
): Promise<{ child: ChildProcess; readyMs: number }> {
  const started = performance.now();
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  const name = command === process.execPath ? args.join(' ') : [command, ...args].join(' ');
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    try {
      const response = await fetch(readyUrl);
      await response.arrayBuffer();
      if (response.status === 200) return { child, readyMs: performance.now() - started };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name}: ${readyUrl} not ready after 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * startService after one start and stop, unmeasured. The first start after the code changed fills Node's
 * compile cache: it compiles, and type-strips, which loads Node's TypeScript stripper (about 15 MiB more
 * resident). A user's starts read the cache, as the images' do.
 */
export async function startWarm(
  args: readonly string[],
  readyUrl: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ child: ChildProcess; readyMs: number }> {
  await stopService((await startService(args, readyUrl, env)).child);
  return startService(args, readyUrl, env);
}

export async function stopService(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Median wall time of a short command (e.g. `--help`), in milliseconds. Asynchronous, so that a target
 * served by the benchmark's own process keeps answering while the command runs.
 */
export async function commandMs(args: string[], runs = 5, env: NodeJS.ProcessEnv = {}): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const child = spawn(process.execPath, args, { stdio: 'ignore', env: { ...process.env, ...env } });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`${args.join(' ')} exited with ${code}`);
    times.push(performance.now() - started);
  }
  return median(times);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Requests a pacer has sent, and how many of them failed or were answered. */
interface PacerCounts {
  sent: number;
  failed: number;
  done: number;
}

/**
 * Starts sending GET `path` at a fixed rate over keep-alive connections, paced in 10 ms slices: each
 * slice sends what the rate owes by then. A request fails on a connection error or an answer other
 * than 200. `stop()` ends the sending and resolves once the last answers are in (waiting at most 5 s).
 */
async function startPacer(
  port: number,
  path: string,
  rate: number,
): Promise<{ counts: PacerCounts; stop(): Promise<void> }> {
  const { Agent, request } = await import('node:http');
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const counts: PacerCounts = { sent: 0, failed: 0, done: 0 };
  const startedAt = performance.now();
  const timer = setInterval(() => {
    const owed = Math.floor(((performance.now() - startedAt) / 1000) * rate) - counts.sent;
    for (let i = 0; i < owed; i++) {
      counts.sent++;
      request({ host: '127.0.0.1', port, path, agent }, (response) => {
        if (response.statusCode !== 200) counts.failed++;
        response.resume();
        response.on('end', () => counts.done++);
      })
        .on('error', () => counts.failed++)
        .end();
    }
  }, 10);
  return {
    counts,
    async stop() {
      clearInterval(timer);
      for (let waited = 0; counts.done + counts.failed < counts.sent && waited < 5000; waited += 50)
        await sleep(50);
      agent.destroy();
    },
  };
}

/**
 * Sends GET `path` at a fixed rate over keep-alive connections for `seconds`. The CPU a service spends
 * per request at a fixed, ordinary rate depends far less on the host's load than its saturation
 * throughput does, so the two are reported side by side.
 */
export async function paced(
  port: number,
  path: string,
  rate: number,
  seconds: number,
): Promise<{ sent: number; failed: number }> {
  const pacer = await startPacer(port, path, rate);
  await sleep(seconds * 1000);
  await pacer.stop();
  return { sent: pacer.counts.sent, failed: pacer.counts.failed };
}

export interface SoakOptions {
  /** The process whose RSS and CPU are read. */
  pid: number;
  /** Where GET `path` is sent, at `rate` requests per second for `seconds`. */
  port: number;
  path: string;
  rate: number;
  seconds: number;
  /** How long after the load the RSS is read again ("returns to"). */
  settleS?: number;
}

export interface SoakResult {
  sent: number;
  failed: number;
  /** CPU of the process under load, % of one core. */
  cpuPercent: number;
  restMiB: number;
  minMiB: number;
  maxMiB: number;
  /** RSS `settleS` after the load stopped. */
  afterMiB: number;
  settleS: number;
  /** Least-squares slope from `steadyFromS` on, MiB per minute. */
  slope: number;
  steadyFromS: number;
  loadBefore: string;
  loadEnd: string;
}

/**
 * Keeps a service under steady load (GET `path` at a fixed rate over keep-alive connections, paced in
 * 10 ms slices) and samples its RSS and CPU every 5 s. The slope is fitted from 60 s on, V8 settling
 * its heap in the first tens of seconds: |slope| well under 1 MiB/min means no growth.
 */
export async function soak(options: SoakOptions): Promise<SoakResult> {
  const { pid, port, path, rate, seconds } = options;
  const settleS = options.settleS ?? 10;
  const loadBefore = hostLoad();
  const restMiB = rssMiB(pid);
  const pacer = await startPacer(port, path, rate);
  const startedAt = performance.now();
  const deadline = startedAt + seconds * 1000;
  const samples: { atS: number; rssMiB: number; cpu: number; load: string }[] = [];
  while (performance.now() < deadline) {
    await sleep(5000);
    samples.push({
      atS: (performance.now() - startedAt) / 1000,
      rssMiB: rssMiB(pid),
      cpu: cpuSeconds(pid),
      load: hostLoad(),
    });
    if (samples.length % 12 === 0) {
      const last = samples.at(-1) as (typeof samples)[number];
      process.stderr.write(`  ${Math.round(last.atS)} s: rss ${last.rssMiB.toFixed(0)} MiB\n`);
    }
  }
  await pacer.stop();
  const first = samples[0] as (typeof samples)[number];
  const end = samples.at(-1) as (typeof samples)[number];
  await sleep(settleS * 1000);
  const steady = samples.filter((sample) => sample.atS >= Math.min(60, seconds / 2));
  const rss = samples.map((sample) => sample.rssMiB);
  return {
    sent: pacer.counts.sent,
    failed: pacer.counts.failed,
    cpuPercent: ((end.cpu - first.cpu) / (end.atS - first.atS)) * 100,
    restMiB,
    minMiB: Math.min(...rss),
    maxMiB: Math.max(...rss),
    afterMiB: rssMiB(pid),
    settleS,
    slope: slopePerMinute(steady),
    steadyFromS: Math.round(steady[0]?.atS ?? 0),
    loadBefore,
    loadEnd: end.load,
  };
}

/** A soak's figures as the Markdown table BENCHMARKS.md keeps. */
export function soakTable(title: string, service: string, result: SoakResult): string {
  const f = (value: number, digits = 1) => value.toFixed(digits);
  return [
    `## ${title}`,
    '',
    '| metric | value |',
    '| --- | --- |',
    `| requests sent / failed | ${result.sent} / ${result.failed} |`,
    `| ${service} CPU (% of one core) | ${f(result.cpuPercent)} |`,
    `| RSS at rest before / min / max under load / ${result.settleS} s after (MiB) | ${f(result.restMiB)} / ${f(result.minMiB)} / ${f(result.maxMiB)} / ${f(result.afterMiB)} |`,
    `| RSS slope from ${result.steadyFromS} s on (MiB per minute) | ${f(result.slope, 2)} |`,
    `| host load average (1/5/15 min) before / at the end | ${result.loadBefore} / ${result.loadEnd} |`,
  ].join('\n');
}
