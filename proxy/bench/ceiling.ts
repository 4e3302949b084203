// npm run bench:ceiling -w proxy: how close a Node proxy doing only the every-policy route's work can
// come to the bare forwarder, next to how close this one comes. Three peers run side by side in front
// of the same nginx upstream: the bare forwarder (peers/bare-undici.ts), the features' floor
// (peers/features-floor.ts: the same features, written flat) and the proxy with every policy on (one
// worker, the default). Short wrk runs take turns between them (paired slices, as in bench/run.ts), and
// each slice also reads the CPU the peer's process spent, so that the table gives both the throughput
// ratio and the CPU per request. Prints a table; the figures kept are in BENCHMARKS.md (Proxy).
//
// Options: --slices N (default 30, about 4 minutes), --seconds S (wrk seconds per peer per slice, default 2),
// --connections C (default 50).
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '@sre-stack/runtime/testing';
import { cpuSeconds, hostLoad, median, wrk } from '@sre-stack/runtime/testing/bench';
import { everyPolicyConfig } from './configs.ts';
import { start, startUpstream, stop } from './processes.ts';

const { values } = parseArgs({
  options: {
    slices: { type: 'string', default: '30' },
    seconds: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
  },
});
const SLICES = Number(values.slices);
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);

const loadAtStart = hostLoad();
const directory = await mkdtemp(join(tmpdir(), 'proxy-ceiling-'));
const { address: upstream, child: upstreamProcess } = await startUpstream(directory);
const children: ChildProcess[] = [upstreamProcess];
await writeFile(join(directory, 'every-policy.yaml'), everyPolicyConfig(upstream));

interface Peer {
  name: string;
  port: number;
  pid: number;
  rps: number[];
  cpuUs: number[];
}
const peer = (path: string) => new URL(path, import.meta.url).pathname;
const launches: [string, (port: number) => string[]][] = [
  ['bare Node + undici', (port) => [peer('./peers/bare-undici.ts'), `http://${upstream}`, String(port)]],
  [
    'features floor (the same features, written flat)',
    (port) => [peer('./peers/features-floor.ts'), `http://${upstream}`, String(port)],
  ],
  [
    '**proxy, every policy on** (1 worker, the default)',
    (port) => [
      peer('../bin/proxy.mjs'),
      '--config',
      join(directory, 'every-policy.yaml'),
      '--port',
      String(port),
      '--metrics-port',
      '0',
    ],
  ],
];
const peers: Peer[] = [];
try {
  for (const [name, args] of launches) {
    const port = await freePort();
    const child = await start(process.execPath, args(port), port);
    children.push(child);
    peers.push({ name, port, pid: child.pid as number, rps: [], cpuUs: [] });
  }
  for (const { port } of peers) wrk(`http://127.0.0.1:${port}/`, 3, CONNECTIONS); // warm-up
  for (let slice = 0; slice < SLICES; slice++) {
    // The order turns each slice, so that no peer always goes first after another's load.
    for (let offset = 0; offset < peers.length; offset++) {
      const current = peers[(slice + offset) % peers.length] as Peer;
      const before = cpuSeconds(current.pid);
      const result = wrk(`http://127.0.0.1:${current.port}/`, SECONDS, CONNECTIONS);
      const spent = cpuSeconds(current.pid) - before;
      if (result.errors) process.stderr.write(`warning: ${result.errors} non-2xx from ${current.name}\n`);
      if (!(result.rps > 0))
        process.stderr.write(`warning: ${current.name} answered nothing in slice ${slice + 1}\n`);
      current.rps.push(result.rps);
      current.cpuUs.push((spent * 1e6) / (result.rps * SECONDS));
    }
  }
} finally {
  await Promise.all(children.map((child) => stop(child)));
  await rm(directory, { recursive: true, force: true });
}

const [bare] = peers as [Peer];
/** A peer's throughput over the bare forwarder's, slice by slice: the median and the range. */
function versusBare(current: Peer): string {
  const ratios = current.rps.map((rps, slice) => rps / (bare.rps[slice] as number));
  return `**${median(ratios).toFixed(2)}×** (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`;
}
const rows = peers.map((current) => {
  const cpu = median(current.cpuUs);
  const over = cpu - median(bare.cpuUs);
  const extra = current === bare ? '' : `${over >= 0 ? '+' : ''}${over.toFixed(1)}`;
  return `| ${current.name} | ${median(current.rps).toFixed(0)} | ${versusBare(current)} | ${cpu.toFixed(1)} | ${extra} |`;
});
process.stdout.write(
  [
    `Run ${new Date().toISOString().slice(0, 16)}Z: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}; ${SLICES} paired slices of wrk -t1 -c${CONNECTIONS} -d${SECONDS}s per peer after a 3 s warm-up; CPU per request from /proc (user + system, all threads, 10 ms ticks); host load average (1, 5, 15 min) at the start ${loadAtStart}, at the end ${hostLoad()}.`,
    '',
    '| peer | req/s (median) | throughput vs bare (median of slices, range) | CPU µs per request (median) | over bare (µs) |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
  ].join('\n'),
);
