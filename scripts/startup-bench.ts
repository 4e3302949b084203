// npm run bench:startup: how fast the three services start and how much they hold at rest, against
// their floor measured in the same run: bare node:http (server/bench/peers/bare-http.ts) for ready
// and RSS, `node -e 0` and an empty .ts file for the commands that answer at once. Three ways to start:
//   no cache    NODE_DISABLE_COMPILE_CACHE=1: every module compiled, every .ts file type-stripped
//   by hand     `node bin/NAME.mjs` as typed: the bin switches the compile cache on itself (its default
//               folder, warm after the first start); the bins are plain JavaScript, so no stripper
//   as shipped  NODE_COMPILE_CACHE set and filled, as the images and npm start do: no stripper at all
// Ready: spawn to the first 200 from /readyz (polled every 10 ms), and the CPU the process spent by
// then (steadier than wall time on a shared host; the × is against the floor's). RSS: 3 s after ready.
// Each start runs --rounds times (default 3); times are medians (ready's range in brackets), RSS the
// worst. Commands: median of 5 runs. The host load average is printed with every table: the machine
// is shared.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '@sre-stack/runtime/testing';
import {
  commandMs,
  cpuSeconds,
  hostLoad,
  median,
  rssMiB,
  sleep,
  startService,
  stopService,
} from '@sre-stack/runtime/testing/bench';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
const ROUNDS = Number(values.rounds);
const REST_MS = 3000;
const path = (relative: string) => new URL(`../${relative}`, import.meta.url).pathname;
const log = (text: string) => process.stderr.write(`${text}\n`);

const dir = await mkdtemp(join(tmpdir(), 'startup-bench-'));
const shippedCache = join(dir, 'shipped-cache');
// The bench's own environment must not decide the mode.
delete process.env.NODE_COMPILE_CACHE;
delete process.env.NODE_DISABLE_COMPILE_CACHE;
const MODES = {
  'no cache': { NODE_DISABLE_COMPILE_CACHE: '1' },
  // The bin's default folder is under TMPDIR: the bench's own, so a user's cache plays no part.
  'by hand': { TMPDIR: dir },
  'as shipped': { NODE_COMPILE_CACHE: shippedCache },
} satisfies Record<string, NodeJS.ProcessEnv>;
type Mode = keyof typeof MODES;

// A target for the prober's probes and --once: answers 200 at once.
const target = createServer((_request, response) => response.end('ok'));
await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
const targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
const probes = join(dir, 'probes.yaml');
await writeFile(probes, `probes:\n  - { name: rest, url: "${targetUrl}/status", every: 1m }\n`);
const emptyTs = join(dir, 'empty.ts');
await writeFile(emptyTs, 'export const nothing: number = 0;\n');

interface Service {
  name: string;
  /** Arguments and readiness URL for a start on free ports. */
  start(): Promise<{ args: string[]; readyUrl: string }>;
}
const services: Service[] = [
  {
    name: 'bare node:http (floor)',
    async start() {
      const port = await freePort();
      return {
        args: [path('server/bench/peers/bare-http.ts'), String(port)],
        readyUrl: `http://127.0.0.1:${port}/`,
      };
    },
  },
  {
    name: 'flaky-server',
    async start() {
      const metrics = await freePort();
      const args = [path('server/bin/flaky-server.mjs'), '--port', '0', '--metrics-port', String(metrics)];
      return { args: [...args, '--host', '127.0.0.1'], readyUrl: `http://127.0.0.1:${metrics}/readyz` };
    },
  },
  {
    name: 'prober (1 probe a minute)',
    async start() {
      const metrics = await freePort();
      const args = [path('client/bin/prober.mjs'), '--config', probes, '--metrics-port', String(metrics)];
      return { args, readyUrl: `http://127.0.0.1:${metrics}/readyz` };
    },
  },
  {
    name: 'proxy (proxy/proxy.yaml, 1 worker)',
    async start() {
      const metrics = await freePort();
      const args = [path('proxy/bin/proxy.mjs'), '--config', path('proxy/proxy.yaml'), '--port', '0'];
      return {
        args: [...args, '--metrics-port', String(metrics)],
        readyUrl: `http://127.0.0.1:${metrics}/readyz`,
      };
    },
  },
];

async function startOnce(
  service: Service,
  mode: Mode,
): Promise<{ readyMs: number; cpuMs: number; restMiB: number }> {
  const { args, readyUrl } = await service.start();
  const { child, readyMs } = await startService(args, readyUrl, { LOG_FORMAT: 'json', ...MODES[mode] });
  // The CPU it took to get ready: far steadier than the wall time on a shared host.
  const cpuMs = cpuSeconds(child.pid as number) * 1000;
  await sleep(REST_MS);
  const restMiB = rssMiB(child.pid as number);
  await stopService(child);
  return { readyMs, cpuMs, restMiB };
}

log(`startup-bench: node ${process.version}, ${cpus().length} CPUs, load ${hostLoad()}`);
// Fill both caches the way they are filled in use: one unmeasured start of each service.
for (const service of services)
  for (const mode of ['by hand', 'as shipped'] as const) await startOnce(service, mode);

const results = new Map<string, { ready: number[]; cpu: number[]; rest: number[] }>();
const loads: string[] = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const service of round % 2 === 0 ? services : [...services].reverse()) {
    for (const mode of Object.keys(MODES) as Mode[]) {
      const { readyMs, cpuMs, restMiB } = await startOnce(service, mode);
      const key = `${service.name}\u0000${mode}`;
      const entry = results.get(key) ?? { ready: [], cpu: [], rest: [] };
      entry.ready.push(readyMs);
      entry.cpu.push(cpuMs);
      entry.rest.push(restMiB);
      results.set(key, entry);
      log(
        `  round ${round + 1} ${service.name}, ${mode}: ready ${readyMs.toFixed(0)} ms (CPU ${cpuMs.toFixed(0)} ms), ${restMiB.toFixed(1)} MiB`,
      );
    }
  }
  loads.push(hostLoad());
}

const commands: { name: string; args: string[] }[] = [
  { name: '`node -e 0` (floor)', args: ['-e', '0'] },
  { name: '`node empty.ts` (floor for a .ts file)', args: [emptyTs] },
  { name: '`flaky-server --help`', args: [path('server/bin/flaky-server.mjs'), '--help'] },
  { name: '`prober --help`', args: [path('client/bin/prober.mjs'), '--help'] },
  { name: '`proxy --help`', args: [path('proxy/bin/proxy.mjs'), '--help'] },
  {
    name: '`proxy --check --config proxy/proxy.yaml`',
    args: [path('proxy/bin/proxy.mjs'), '--check', '--config', path('proxy/proxy.yaml')],
  },
  { name: '`prober --once` (1 probe)', args: [path('client/bin/prober.mjs'), '--once', '--config', probes] },
];
const commandLoad = hostLoad();
const commandTimes = new Map<string, Record<Mode, number>>();
for (const command of commands) {
  const times = {} as Record<Mode, number>;
  for (const mode of Object.keys(MODES) as Mode[])
    times[mode] = await commandMs(command.args, 5, MODES[mode]);
  commandTimes.set(command.name, times);
}
target.close();
await rm(dir, { recursive: true, force: true });

const f = (value: number, digits = 0) => value.toFixed(digits);
const modes = Object.keys(MODES) as Mode[];
console.log(
  `\nRun ${new Date().toISOString().slice(0, 16)}Z: node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model.trim()}); ${ROUNDS} rounds; load average (1/5/15 min) after each round: ${loads.join('; ')}.\n`,
);
console.log(
  `| service | ${modes.map((mode) => `${mode}: ready ms (range) / CPU to ready ms / RSS at rest MiB`).join(' | ')} |`,
);
console.log(`| --- | ${modes.map(() => '---:').join(' | ')} |`);
const floorName = services[0]?.name ?? '';
for (const service of services) {
  const cells = modes.map((mode) => {
    const entry = results.get(`${service.name}\u0000${mode}`);
    const floor = results.get(`${floorName}\u0000${mode}`);
    if (!entry || !floor) return '';
    const ready = median(entry.ready);
    const rest = Math.max(...entry.rest);
    const ratio =
      service.name === floorName
        ? ''
        : ` (${f(median(entry.cpu) / median(floor.cpu), 1)}× CPU, +${f(rest - Math.max(...floor.rest))} MiB)`;
    const range = `${f(Math.min(...entry.ready))}-${f(Math.max(...entry.ready))}`;
    return `${f(ready)} (${range}) / ${f(median(entry.cpu))} / ${f(rest, 1)}${ratio}`;
  });
  console.log(`| ${service.name} | ${cells.join(' | ')} |`);
}
console.log(`\nCommands, median wall time of 5 runs (ms), load ${commandLoad} before them:\n`);
console.log(`| command | ${modes.join(' | ')} |`);
console.log(`| --- | ${modes.map(() => '---:').join(' | ')} |`);
for (const [name, times] of commandTimes)
  console.log(`| ${name} | ${modes.map((mode) => f(times[mode])).join(' | ')} |`);
console.log(`\nLoad after: ${hostLoad()}.`);
process.exit(0);
