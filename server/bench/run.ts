// npm run bench -w server: one run that compares the flaky server, as shipped (metrics, a SERVER span and
// an access-log line per request), with its floor, bare node:http answering "OK". wrk drives GET /status;
// each peer runs once per round, in alternating order, and the median round is kept. Also: RSS at rest,
// right after the load and after a rest; time to ready; --help. The host load average is printed with
// every figure: the machine is shared, and a high load says more about the neighbours than about us.
// Also the CPU each peer spends per request at a fixed rate (--rate, default 2000 req/s over 16
// keep-alive connections): a ratio that holds up better than req/s when the neighbours are busy.
//
// Options: --duration S (wrk seconds per run, default 10), --rounds N (default 3), --connections C
// (default 50). Needs wrk (apt-get install -y wrk). The server's stdout goes to /dev/null.
import type { ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { freePort } from '@sre-stack/runtime/testing';
import {
  commandMs,
  cpuSeconds,
  hostLoad,
  median,
  paced,
  rssMiB,
  sleep,
  startService,
  stopService,
  type WrkResult,
  wrk,
} from '@sre-stack/runtime/testing/bench';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    rate: { type: 'string', default: '2000' },
  },
});
const RATE = Number(values.rate);
const DURATION = Number(values.duration);
const ROUNDS = Number(values.rounds);
const CONNECTIONS = Number(values.connections);
const bin = (path: string) => new URL(path, import.meta.url).pathname;
const SERVER_BIN = bin('../bin/flaky-server.mjs');

const log = (text: string) => process.stderr.write(`${text}\n`);

interface Peer {
  name: string;
  setup: string;
  port: number;
  start(): Promise<{ child: ChildProcess; readyMs: number; pid: number }>;
}

async function serverPeer(name: string, setup: string, env: NodeJS.ProcessEnv): Promise<Peer> {
  const port = await freePort();
  const metricsPort = await freePort();
  return {
    name,
    setup,
    port,
    async start() {
      const { child, readyMs } = await startService(
        [SERVER_BIN, '--port', String(port), '--metrics-port', String(metricsPort), '--host', '127.0.0.1'],
        `http://127.0.0.1:${metricsPort}/readyz`,
        { LOG_FORMAT: 'json', OTEL_EXPORTER_OTLP_ENDPOINT: '', ...env },
      );
      return { child, readyMs, pid: child.pid as number };
    },
  };
}

const sinkPort = await freePort();
const sink = await startService([bin('./otlp-sink.ts'), String(sinkPort)], `http://127.0.0.1:${sinkPort}/`);
const barePort = await freePort();
const peers: Peer[] = [
  {
    name: 'bare node:http (floor)',
    setup: 'answers "OK", nothing else',
    port: barePort,
    async start() {
      const { child, readyMs } = await startService(
        [bin('./peers/bare-http.ts'), String(barePort)],
        `http://127.0.0.1:${barePort}/status`,
      );
      return { child, readyMs, pid: child.pid as number };
    },
  },
  await serverPeer('**flaky-server**', 'as shipped: metrics, span, access log; no OTLP endpoint', {}),
  await serverPeer('flaky-server, spans exported', 'OTLP/HTTP to a local sink that drops them', {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sinkPort}`,
  }),
];

interface Figures {
  runs: WrkResult[];
  cpuUs: number[];
  loads: string[];
  readyMs: number;
  restMiB: number;
  afterLoadMiB: number;
  afterRestMiB: number;
}
const figures = new Map<string, Figures>();

log(`bench: node ${process.version}, ${cpus().length} CPUs, load ${hostLoad()}`);
// One unmeasured start of each, so that the first round starts from a filled compile cache as the later
// ones do (see startWarm): the worst round's RSS is the one shown.
for (const peer of peers) await stopService((await peer.start()).child);
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? peers : [...peers].reverse();
  for (const peer of order) {
    const { child, readyMs, pid } = await peer.start();
    await sleep(2000);
    const restMiB = rssMiB(pid);
    // A short warm-up, so the JIT has compiled the hot path before wrk measures it.
    wrk(`http://127.0.0.1:${peer.port}/status`, 2, CONNECTIONS);
    const result = wrk(`http://127.0.0.1:${peer.port}/status`, DURATION, CONNECTIONS);
    const afterLoadMiB = rssMiB(pid);
    // CPU per request at an ordinary, fixed rate: far less sensitive to the neighbours than req/s.
    const cpuBefore = cpuSeconds(pid);
    const pacedRun = await paced(peer.port, '/status', RATE, 5);
    const cpuUs = ((cpuSeconds(pid) - cpuBefore) / pacedRun.sent) * 1e6;
    await sleep(10_000);
    const afterRestMiB = rssMiB(pid);
    await stopService(child);
    const entry = figures.get(peer.name) ?? {
      runs: [],
      cpuUs: [],
      loads: [],
      readyMs,
      restMiB,
      afterLoadMiB,
      afterRestMiB,
    };
    entry.runs.push(result);
    entry.cpuUs.push(cpuUs);
    entry.loads.push(hostLoad());
    // Memory: the worst round is the one that counts.
    entry.readyMs = Math.max(entry.readyMs, readyMs);
    entry.restMiB = Math.max(entry.restMiB, restMiB);
    entry.afterLoadMiB = Math.max(entry.afterLoadMiB, afterLoadMiB);
    entry.afterRestMiB = Math.max(entry.afterRestMiB, afterRestMiB);
    figures.set(peer.name, entry);
    log(
      `  round ${round + 1} ${peer.name}: ${Math.round(result.rps)} req/s, ${Math.round(cpuUs)} µs CPU/request at ${RATE} req/s, rss ${restMiB.toFixed(0)} → ${afterLoadMiB.toFixed(0)} → ${afterRestMiB.toFixed(0)} MiB, load ${hostLoad()}`,
    );
  }
}
await stopService(sink.child);
const helpMs = await commandMs([SERVER_BIN, '--help']);
const nodeMs = await commandMs(['-e', '0']);

const floorEntry = figures.get(peers[0]!.name)!;
const floor = median(floorEntry.runs.map((run) => run.rps));
const floorCpu = median(floorEntry.cpuUs);
const f = (value: number, digits = 0) => value.toFixed(digits);
console.log(
  `\nRun ${new Date().toISOString().slice(0, 10)}: node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model.trim()}); ${ROUNDS} rounds, wrk -t1 -c${CONNECTIONS} -d${DURATION}s GET /status after a 2 s warm-up, median round shown; load average (1/5/15 min) after each round listed.\n`,
);
console.log(
  `| target | setup | req/s | × floor | p50 / p99 (ms) | CPU per request at ${RATE} req/s (µs) | floor's CPU ÷ this | RSS at rest / after load / 10 s later (MiB) | ready (ms) | load after each round |`,
);
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
for (const peer of peers) {
  const entry = figures.get(peer.name)!;
  const rps = median(entry.runs.map((run) => run.rps));
  const mid = entry.runs.find((run) => run.rps === rps) ?? entry.runs[0]!;
  console.log(
    `| ${peer.name} | ${peer.setup} | ${f(rps)} | ${f(rps / floor, 2)} | ${f(mid.p50, 2)} / ${f(mid.p99, 2)} | ${f(median(entry.cpuUs))} | ${f(floorCpu / median(entry.cpuUs), 2)} | ${f(entry.restMiB)} / ${f(entry.afterLoadMiB)} / ${f(entry.afterRestMiB)} | ${f(entry.readyMs)} | ${entry.loads.join('; ')} |`,
  );
}
console.log(
  `\n\`flaky-server --help\`: ${f(helpMs)} ms (a bare \`node -e 0\`: ${f(nodeMs)} ms), load ${hostLoad()}.`,
);
// Whatever keep-alive sockets or timers are left, the measurement is done.
process.exit(0);
