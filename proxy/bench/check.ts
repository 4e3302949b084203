// npm run bench:check -w proxy: how long `proxy --check` takes on each shipped config, as shipped (the
// compile cache set and filled, as the images and `npm start` run it), next to its floor measured in the
// same run: `node -e 0`, and `proxy --help`, which loads no config code. Each command runs --runs times
// (default 7), interleaved with the others, so that a burst of load on this shared host hits them all
// alike; the table gives the median wall time (and its range) and the median CPU time (user + system of
// the process, steadier than wall time here), each also as a multiple of the floor's. The host load is
// printed before and after.
//
// --before DIR adds the same commands run from DIR, another checkout of this repository with its
// node_modules (an earlier commit, say), as a peer measured in the same run.
// Needs bash (its `time` gives a child's CPU time to the millisecond).
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { hostLoad, median } from '@sre-stack/runtime/testing/bench';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '7' }, before: { type: 'string' } },
});
const RUNS = Number(values.runs);
const root = new URL('../../', import.meta.url).pathname;
const CONFIGS = [
  'proxy/proxy.yaml',
  'examples/hello-sre.yaml',
  'examples/sidecar.yaml',
  'examples/rgate.yml',
  'examples/lb.yaml',
];

interface Command {
  name: string;
  args: string[];
}

function proxyCommands(checkout: string, label: string): Command[] {
  const bin = join(checkout, 'proxy/bin/proxy.mjs');
  return CONFIGS.map((config) => ({
    name: `${label}\`proxy --check --config ${config}\``,
    args: [bin, '--check', '--config', join(root, config)],
  }));
}

const commands: Command[] = [
  { name: '`node -e 0` (floor)', args: ['-e', '0'] },
  { name: '`proxy --help`', args: [join(root, 'proxy/bin/proxy.mjs'), '--help'] },
  ...proxyCommands(root, ''),
  ...(values.before ? proxyCommands(resolve(values.before), 'before: ') : []),
];

const cache = await mkdtemp(join(tmpdir(), 'check-bench-'));
// As shipped: the compile cache set for the process from its first line, and filled (see the bench's
// first pass below). The bench's own settings must not decide it.
const env: NodeJS.ProcessEnv = { ...process.env, NODE_COMPILE_CACHE: cache };
delete env.NODE_DISABLE_COMPILE_CACHE;

/** Wall and CPU (user + system) milliseconds of one run, from bash's `time`. */
function timed(args: string[]): { wallMs: number; cpuMs: number } {
  const report = execFileSync(
    'bash',
    [
      '-c',
      'TIMEFORMAT="%3R %3U %3S"; { time "$@" >/dev/null 2>&1; } 2>&1',
      'bash',
      process.execPath,
      ...args,
    ],
    { env, encoding: 'utf8', timeout: 30_000 },
  );
  const [wall, user, system] = report.trim().split(/\s+/).map(Number) as [number, number, number];
  return { wallMs: wall * 1000, cpuMs: (user + system) * 1000 };
}

const loadBefore = hostLoad();
for (const command of commands) timed(command.args); // fills the compile cache
const wall = new Map<string, number[]>();
const cpu = new Map<string, number[]>();
for (let run = 0; run < RUNS; run++) {
  for (const command of run % 2 === 0 ? commands : [...commands].reverse()) {
    const { wallMs, cpuMs } = timed(command.args);
    wall.set(command.name, [...(wall.get(command.name) ?? []), wallMs]);
    cpu.set(command.name, [...(cpu.get(command.name) ?? []), cpuMs]);
  }
}
await rm(cache, { recursive: true, force: true });

const f = (value: number) => value.toFixed(0);
const floorWall = median(wall.get(commands[0]?.name ?? '') ?? []);
const floorCpu = median(cpu.get(commands[0]?.name ?? '') ?? []);
console.log(
  `\nRun ${new Date().toISOString().slice(0, 16)}Z: node ${process.version}, ${cpus().length} CPUs, as shipped (compile cache filled); median of ${RUNS} interleaved runs; load average (1/5/15 min) ${loadBefore} before, ${hostLoad()} after.\n`,
);
console.log('| command | wall ms (range) | × floor | CPU ms | × floor |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const command of commands) {
  const times = wall.get(command.name) ?? [];
  const wallMs = median(times);
  const cpuMs = median(cpu.get(command.name) ?? []);
  console.log(
    `| ${command.name} | ${f(wallMs)} (${f(Math.min(...times))}-${f(Math.max(...times))}) | ${(wallMs / floorWall).toFixed(2)} | ${f(cpuMs)} | ${(cpuMs / floorCpu).toFixed(2)} |`,
  );
}
