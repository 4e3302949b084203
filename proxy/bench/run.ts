// npm run bench -w proxy: one run that compares, against the same fast upstream (nginx `return 200`),
// the upstream directly, this proxy (default config; every policy on), nginx proxy_pass,
// @fastify/http-proxy and http-proxy. Throughput and latency under saturation come from wrk; the
// latency a proxy adds under ordinary load from a paced client at a fixed rate. Prints a table and
// writes it to the "## Proxy" section of BENCHMARKS.md, up to its first ### subsection (kept).
//
// The goals' throughput ratios come from paired slices: the proxy and its two Node peers run side by
// side, and short wrk runs take turns between them, so that a slow minute of the shared host falls on
// all three instead of on whichever peer it happened to meet (rounds of 10 s per peer swung 0.5-1.2x).
//
// Options: --duration S (wrk seconds per run, default 10), --rounds N (default 3; the median is kept),
// --connections C (default 50), --rate R (paced requests per second, default 1000), --slices N (paired
// slices of 2 s per peer, default 10), --no-write.
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '@sre-stack/runtime/testing';
import { rssMiB, wrk as runWrk, sleep, type WrkResult } from '@sre-stack/runtime/testing/bench';
import { defaultConfig, everyPolicyConfig } from './configs.ts';
import { paced } from './paced.ts';
import { NGINX, nginxConfig, start, startUpstream, stop } from './processes.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    rate: { type: 'string', default: '1000' },
    slices: { type: 'string', default: '10' },
    'no-write': { type: 'boolean', default: false },
  },
});
const DURATION = Number(values.duration);
const ROUNDS = Number(values.rounds);
const CONNECTIONS = Number(values.connections);
const RATE = Number(values.rate);
const SLICES = Number(values.slices);
/**
 * wrk seconds per peer per paired slice. Short enough that a peer's wait for its next slice (the
 * others' slices, 4 s) stays under the 6 quiet seconds after which the proxy gives its heap back
 * (runtime/src/release-at-rest.ts): each slice measures it under sustained load, as the rounds do.
 */
const SLICE_S = 2;
/** Seconds of rest after the load before the RSS is read again. */
const SETTLE_S = 10;
const ROOT = new URL('../../', import.meta.url).pathname;
const PROXY_BIN = join(ROOT, 'proxy/bin/proxy.mjs');

/** One wrk run against a port; non-2xx answers are reported, as a peer that errors would look fast. */
function wrk(port: number, seconds: number): WrkResult {
  const result = runWrk(`http://127.0.0.1:${port}/`, seconds, CONNECTIONS);
  if (result.errors) process.stderr.write(`warning: ${result.errors} non-2xx responses on port ${port}\n`);
  return result;
}

const median = (list: number[]) => {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

interface Peer {
  name: string;
  note: string;
  port: number;
  launch(): Promise<ChildProcess | undefined>;
  paced?: boolean;
  /** One Node process: its RSS is read at rest and after the load (nginx runs several processes). */
  rss?: boolean;
}

const directory = await mkdtemp(join(tmpdir(), 'proxy-bench-'));
const { port: upstreamPort, address: upstream, child: upstreamProcess } = await startUpstream(directory);

await writeFile(join(directory, 'default.yaml'), defaultConfig(upstream));
await writeFile(join(directory, 'every-policy.yaml'), everyPolicyConfig(upstream));

const proxyPeer = (
  name: string,
  note: string,
  file: string,
  workers: number | undefined,
  port: number,
): Peer => ({
  name,
  note,
  port,
  paced: true,
  rss: true,
  launch: () =>
    start(
      process.execPath,
      [
        PROXY_BIN,
        '--config',
        join(directory, file),
        '--port',
        String(port),
        '--metrics-port',
        '0',
        ...(workers ? ['--workers', String(workers)] : []),
      ],
      port,
    ),
});

/** The peers the goals compare, by the names the table shows. */
const EVERY_POLICY = '**proxy, every policy on**';
const BARE = 'bare Node + undici';
const FASTIFY = '@fastify/http-proxy';

const ports = await Promise.all(Array.from({ length: 8 }, () => freePort()));
const [p1, p2, p3, p4, p5, p6, p7] = ports as [number, number, number, number, number, number, number];
const cores = availableParallelism();
const peers: Peer[] = [
  {
    name: 'upstream directly',
    note: 'nginx `return 200`, 1 worker',
    port: upstreamPort,
    launch: async () => undefined,
    paced: true,
  },
  proxyPeer('proxy, default config', '1 worker (default); access log on', 'default.yaml', undefined, p1),
  proxyPeer(
    EVERY_POLICY,
    '1 worker (default); rate limit, breaker, retry + per-try timeout, deadline; metrics, spans, access log',
    'every-policy.yaml',
    undefined,
    p2,
  ),
  proxyPeer(
    `proxy, every policy on, ${cores} workers`,
    `${cores} worker threads (reusePort, state in shared memory); they share the ${cores} cores with wrk and nginx`,
    'every-policy.yaml',
    cores,
    p3,
  ),
  {
    name: 'nginx proxy_pass',
    note: `worker_processes auto (${cores}), upstream keepalive`,
    port: p4,
    paced: true,
    launch: async () => {
      await writeFile(
        join(directory, 'proxy.conf'),
        nginxConfig(
          directory,
          'proxy',
          'auto',
          `listen 127.0.0.1:${p4}; location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }`,
          upstream,
        ),
      );
      return start(NGINX, ['-c', join(directory, 'proxy.conf'), '-p', directory], p4);
    },
  },
  {
    name: FASTIFY,
    note: '1 process, logger off',
    port: p5,
    paced: true,
    rss: true,
    launch: () =>
      start(
        process.execPath,
        [
          new URL('./peers/fastify-http-proxy.ts', import.meta.url).pathname,
          `http://${upstream}`,
          String(p5),
        ],
        p5,
      ),
  },
  {
    name: BARE,
    note: '1 process, ~40 lines: forwarding only (the floor for Node)',
    port: p7,
    paced: true,
    rss: true,
    launch: () =>
      start(
        process.execPath,
        [new URL('./peers/bare-undici.ts', import.meta.url).pathname, `http://${upstream}`, String(p7)],
        p7,
      ),
  },
  {
    name: 'http-proxy',
    note: '1 process, keep-alive agent',
    port: p6,
    rss: true,
    launch: () =>
      start(
        process.execPath,
        [new URL('./peers/http-proxy.ts', import.meta.url).pathname, `http://${upstream}`, String(p6)],
        p6,
      ),
  },
];

const loadAtStart = loadavg().map((n) => n.toFixed(2));
process.stderr.write(
  `bench: ${cpus()[0]?.model ?? 'cpu'} x${cores}, node ${process.version}, load ${loadAtStart.join(' ')}\n`,
);

interface Row {
  peer: Peer;
  rps: number[];
  p50: number[];
  p99: number[];
  pacedP50: number[];
  pacedP99: number[];
  restMiB: number[];
  loadedMiB: number[];
  settledMiB: number[];
}
const rows: Row[] = peers.map((peer) => ({
  peer,
  rps: [],
  p50: [],
  p99: [],
  pacedP50: [],
  pacedP99: [],
  restMiB: [],
  loadedMiB: [],
  settledMiB: [],
}));

// One unmeasured start of each, so that the first round starts from a filled compile cache as the later
// ones do (the first start after a code change compiles and type-strips: about 15 MiB more).
for (const row of rows) {
  const child = await row.peer.launch();
  if (child) await stop(child);
}
// Peers run one at a time (they share the two cores with wrk and the upstream); rounds interleave them
// so that a noisy minute on the host does not land on one peer only.
for (let round = 0; round < ROUNDS; round++) {
  for (const row of rows) {
    const child = await row.peer.launch();
    const pid = row.peer.rss ? child?.pid : undefined;
    try {
      if (pid !== undefined) {
        await sleep(1000);
        row.restMiB.push(rssMiB(pid));
      }
      wrk(row.peer.port, 3); // warm-up: JIT, connection pools
      const result = wrk(row.peer.port, DURATION);
      row.rps.push(result.rps);
      row.p50.push(result.p50);
      row.p99.push(result.p99);
      let pacedNote = '';
      if (row.peer.paced) {
        const latency = await paced(`http://127.0.0.1:${row.peer.port}/`, RATE, Math.max(5, DURATION));
        row.pacedP50.push(latency.p50);
        row.pacedP99.push(latency.p99);
        pacedNote = `; at ${RATE}/s p50 ${latency.p50.toFixed(3)} ms, p99 ${latency.p99.toFixed(3)} ms`;
      }
      // After saturation, then the paced run: where the process settles under ordinary load.
      if (pid !== undefined) {
        row.loadedMiB.push(rssMiB(pid));
        // Where it returns to once the load is over (the proxy gives its grown heap back at rest).
        await sleep(SETTLE_S * 1000);
        row.settledMiB.push(rssMiB(pid));
      }
      process.stderr.write(
        `round ${round + 1} ${row.peer.name}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms${pacedNote}\n`,
      );
    } finally {
      if (child) await stop(child);
    }
  }
}
// Paired slices: the every-policy proxy and its two Node peers at once, idle but for their own slice.
const pairedNames = [EVERY_POLICY, BARE, FASTIFY];
const pairedPeers = pairedNames.map((name) => peers.find((peer) => peer.name === name) as Peer);
const pairedChildren = await Promise.all(pairedPeers.map((peer) => peer.launch()));
const sliceRps: number[][] = pairedPeers.map(() => []);
try {
  for (const peer of pairedPeers) wrk(peer.port, 3); // warm-up
  for (let slice = 0; slice < SLICES; slice++) {
    // The order turns each slice, so that no peer always goes first after another's load.
    for (let offset = 0; offset < pairedPeers.length; offset++) {
      const index = (slice + offset) % pairedPeers.length;
      const peer = pairedPeers[index] as Peer;
      (sliceRps[index] as number[]).push(wrk(peer.port, SLICE_S).rps);
    }
  }
} finally {
  await Promise.all(pairedChildren.map((child) => (child ? stop(child) : undefined)));
}
/** The proxy's throughput over a peer's, slice by slice: the median, and the range. */
function pairedRatio(peerIndex: number): { median: number; low: number; high: number } {
  const proxy = sliceRps[0] as number[];
  const peer = sliceRps[peerIndex] as number[];
  const ratios = proxy.map((rps, slice) => rps / (peer[slice] as number));
  return { median: median(ratios), low: Math.min(...ratios), high: Math.max(...ratios) };
}
const versusBare = pairedRatio(1);
const versusFastify = pairedRatio(2);
process.stderr.write(
  `paired slices (req/s): ${pairedNames.map((name, index) => `${name} ${(sliceRps[index] as number[]).map((rps) => rps.toFixed(0)).join(' ')}`).join('; ')}\n`,
);
await stop(upstreamProcess);
await rm(directory, { recursive: true, force: true });

const rpsOf = (name: string) => median(rows.find((row) => row.peer.name === name)?.rps ?? []);
const every = rpsOf(EVERY_POLICY);
const everyMany = rpsOf(`proxy, every policy on, ${cores} workers`);
const fastify = rpsOf(FASTIFY);
const nginx = rpsOf('nginx proxy_pass');
const bare = rpsOf(BARE);
const directP50 = median(rows[0]?.pacedP50 ?? []);
const everyPaced = rows.find((row) => row.peer.name === EVERY_POLICY);
const added = median(everyPaced?.pacedP50 ?? []) - directP50;

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const table = [
  `| target | setup | req/s | p50 / p99 at saturation (ms) | p50 / p99 at ${RATE} req/s (ms) | added p50 at ${RATE} req/s (ms) | RSS at rest / after load / ${SETTLE_S} s later (MiB) |`,
  '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map((row) => {
    const hasPaced = row.pacedP50.length > 0;
    const pacedCell = hasPaced ? `${fmt(median(row.pacedP50), 3)} / ${fmt(median(row.pacedP99), 3)}` : '';
    const addedCell = hasPaced && row !== rows[0] ? fmt(median(row.pacedP50) - directP50, 3) : '';
    const rssCell =
      row.restMiB.length > 0
        ? `${fmt(median(row.restMiB), 1)} / ${fmt(median(row.loadedMiB), 1)} / ${fmt(median(row.settledMiB), 1)}`
        : '';
    return `| ${row.peer.name} | ${row.peer.note} | ${fmt(median(row.rps))} | ${fmt(median(row.p50), 2)} / ${fmt(median(row.p99), 2)} | ${pacedCell} | ${addedCell} | ${rssCell} |`;
  }),
].join('\n');
const goals = [
  `| goal (every policy on) | target | reached |`,
  '| --- | --- | --- |',
  `| throughput vs the bare Node + undici forwarder (1 worker each) | ≥ 0.9× | **${fmt(versusBare.median, 2)}×** (slices ${fmt(versusBare.low, 2)}-${fmt(versusBare.high, 2)}; rounds' medians ${fmt(every / bare, 2)}×) |`,
  `| throughput vs @fastify/http-proxy (1 process each) | ≥ 1.0× | **${fmt(versusFastify.median, 2)}×** (slices ${fmt(versusFastify.low, 2)}-${fmt(versusFastify.high, 2)}; rounds' medians ${fmt(every / fastify, 2)}×) |`,
  `| ${cores} workers vs 1 worker | scales on cores that exist | **${fmt(everyMany / every, 2)}×** (${cores} cores shared with wrk and nginx) |`,
  `| throughput vs nginx proxy_pass (1 worker; nginx ${cores}) | for reference | ${fmt(every / nginx, 2)}× |`,
  `| added p50 latency at ${RATE} req/s | ≤ 0.5 ms | **${fmt(added, 3)} ms** |`,
  `| RSS ${SETTLE_S} s after the load | ≤ 150 MiB | **${fmt(median(everyPaced?.settledMiB ?? []), 1)} MiB** |`,
].join('\n');
const when = new Date().toISOString().slice(0, 10);
const header = `Run ${when}: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cores} cores, Node ${process.version}; ${ROUNDS} rounds, each peer once per round, medians shown; wrk -t1 -c${CONNECTIONS} -d${DURATION}s after a 3 s warm-up; paced client ${RATE} req/s for ${Math.max(5, DURATION)} s; then ${SLICES} paired slices of wrk -d${SLICE_S}s per peer for the goals' ratios (every-policy proxy, bare forwarder, @fastify/http-proxy, running side by side); host load average (1, 5, 15 min) at the start ${loadAtStart.join(' ')}, at the end ${loadavg()
  .map((n) => n.toFixed(2))
  .join(' ')}.`;
process.stdout.write(`\n${header}\n\n${table}\n\n${goals}\n`);

if (!values['no-write']) {
  const file = join(ROOT, 'BENCHMARKS.md');
  const existing = existsSync(file) ? await readFile(file, 'utf8') : '# Benchmarks\n';
  const section = await readFile(new URL('./section.md', import.meta.url), 'utf8');
  const body = section.replace('{{run}}', header).replace('{{table}}', table).replace('{{goals}}', goals);
  const start = existing.indexOf('\n## Proxy\n');
  let next: string;
  if (start < 0) {
    next = `${existing.trimEnd()}\n\n${body.trimEnd()}\n`;
  } else {
    // Up to the next heading: the section's ### subsections hold figures measured by other means.
    const ends = ['\n## ', '\n### ']
      .map((heading) => existing.indexOf(heading, start + 1))
      .filter((index) => index >= 0);
    const end = ends.length > 0 ? Math.min(...ends) : -1;
    next = `${existing.slice(0, start)}\n${body.trimEnd()}\n${end < 0 ? '' : existing.slice(end)}`;
  }
  await writeFile(file, next);
  process.stderr.write('wrote the ## Proxy section of BENCHMARKS.md\n');
}
