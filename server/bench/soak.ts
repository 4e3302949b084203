// npm run soak -w server: the flaky server under steady load for 5 minutes (not in CI). A paced client
// sends GET /status at a fixed rate over keep-alive connections; the server's RSS and CPU are sampled
// every 5 s, and the RSS slope from 60 s on is fitted (V8 settles its heap in the first tens of
// seconds). A flat slope (|slope| well under 1 MiB/min) means no growth.
//
// Options: --duration S (default 300), --rate R requests per second (default 2000).
import { Agent, request } from 'node:http';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { freePort } from '@sre-stack/runtime/testing';
import {
  cpuSeconds,
  hostLoad,
  rssMiB,
  sleep,
  slopePerMinute,
  startService,
  stopService,
} from '@sre-stack/runtime/testing/bench';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '300' },
    rate: { type: 'string', default: '2000' },
  },
});
const DURATION_S = Number(values.duration);
const RATE = Number(values.rate);
const SAMPLE_MS = 5000;

const port = await freePort();
const metricsPort = await freePort();
const loadBefore = hostLoad();
const { child } = await startService(
  [
    new URL('../bin/flaky-server.mjs', import.meta.url).pathname,
    '--port',
    String(port),
    '--metrics-port',
    String(metricsPort),
    '--host',
    '127.0.0.1',
  ],
  `http://127.0.0.1:${metricsPort}/readyz`,
  { LOG_FORMAT: 'json', OTEL_EXPORTER_OTLP_ENDPOINT: '' },
);
const pid = child.pid as number;
await sleep(2000);
const restMiB = rssMiB(pid);

const agent = new Agent({ keepAlive: true, maxSockets: 16 });
let sent = 0;
let failed = 0;
const startedAt = performance.now();
const deadline = startedAt + DURATION_S * 1000;
// Paced in 10 ms slices: each slice sends what the rate owes by then.
const pacer = setInterval(() => {
  const owed = Math.floor(((performance.now() - startedAt) / 1000) * RATE) - sent;
  for (let i = 0; i < owed; i++) {
    sent++;
    request({ host: '127.0.0.1', port, path: '/status', agent }, (response) => response.resume())
      .on('error', () => failed++)
      .end();
  }
}, 10);

const samples: { atS: number; rssMiB: number; cpu: number; load: string }[] = [];
while (performance.now() < deadline) {
  await sleep(SAMPLE_MS);
  samples.push({
    atS: (performance.now() - startedAt) / 1000,
    rssMiB: rssMiB(pid),
    cpu: cpuSeconds(pid),
    load: hostLoad(),
  });
  if (samples.length % 12 === 0)
    process.stderr.write(
      `  ${Math.round(samples.at(-1)!.atS)} s: rss ${samples.at(-1)!.rssMiB.toFixed(0)} MiB\n`,
    );
}
clearInterval(pacer);
await sleep(1000);
agent.destroy();
const loadedEnd = samples.at(-1)!;
await sleep(10_000);
const afterRestMiB = rssMiB(pid);
await stopService(child);

const steady = samples.filter((sample) => sample.atS >= Math.min(60, DURATION_S / 2));
const first = samples[0]!;
const cpuPercent = ((loadedEnd.cpu - first.cpu) / (loadedEnd.atS - first.atS)) * 100;
const rssList = samples.map((sample) => sample.rssMiB);
const f = (value: number, digits = 1) => value.toFixed(digits);
console.log(
  `\n## flaky-server soak: GET /status at ${RATE} req/s for ${DURATION_S} s (node ${process.version}, ${cpus().length} CPUs, ${new Date().toISOString().slice(0, 10)})\n`,
);
console.log('| metric | value |');
console.log('| --- | --- |');
console.log(`| requests sent / failed | ${sent} / ${failed} |`);
console.log(`| server CPU (% of one core) | ${f(cpuPercent)} |`);
console.log(
  `| RSS at rest before / min / max under load / 10 s after (MiB) | ${f(restMiB)} / ${f(Math.min(...rssList))} / ${f(Math.max(...rssList))} / ${f(afterRestMiB)} |`,
);
console.log(
  `| RSS slope from ${Math.round(steady[0]?.atS ?? 0)} s on (MiB per minute) | ${f(slopePerMinute(steady), 2)} |`,
);
console.log(`| host load average (1/5/15 min) before / at the end | ${loadBefore} / ${loadedEnd.load} |`);
// Whatever keep-alive sockets or timers are left, the measurement is done.
process.exit(0);
