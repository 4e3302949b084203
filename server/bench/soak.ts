// npm run soak -w server: the flaky server under steady load for 5 minutes (not in CI). A paced client
// sends GET /status at a fixed rate over keep-alive connections; the server's RSS and CPU are sampled
// every 5 s, and the RSS slope from 60 s on is fitted (runtime/testing/bench.ts, soak()).
//
// Options: --duration S (default 300), --rate R requests per second (default 2000).
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { freePort } from '@sre-stack/runtime/testing';
import { sleep, soak, soakTable, startWarm, stopService } from '@sre-stack/runtime/testing/bench';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '300' },
    rate: { type: 'string', default: '2000' },
  },
});
const DURATION_S = Number(values.duration);
const RATE = Number(values.rate);

const port = await freePort();
const metricsPort = await freePort();
// After one unmeasured start: a start from a filled compile cache, as a user's is.
const { child } = await startWarm(
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
await sleep(2000);
const result = await soak({
  pid: child.pid as number,
  port,
  path: '/status',
  rate: RATE,
  seconds: DURATION_S,
});
await stopService(child);
const title = `flaky-server soak: GET /status at ${RATE} req/s for ${DURATION_S} s (node ${process.version}, ${cpus().length} CPUs, ${new Date().toISOString().slice(0, 10)})`;
console.log(`\n${soakTable(title, 'server', result)}`);
// Whatever keep-alive sockets or timers are left, the measurement is done.
process.exit(0);
