// npm run soak -w proxy: the proxy under steady load for 5 minutes (not in CI). Every policy on (the
// config of `npm run bench -w proxy`), the default run (one worker), in front of a node:http upstream
// in this process; a paced client sends GET / at a fixed rate over keep-alive connections. The proxy's
// RSS and CPU are sampled every 5 s, the RSS slope from 60 s on is fitted, and its RSS is read again
// 10 s after the load (runtime/testing/bench.ts, soak()).
//
// Options: --duration S (default 300), --rate R requests per second (default 2000), --workers N.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '@sre-stack/runtime/testing';
import { sleep, soak, soakTable, startWarm, stopService } from '@sre-stack/runtime/testing/bench';
import { everyPolicyConfig } from './configs.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '300' },
    rate: { type: 'string', default: '2000' },
    workers: { type: 'string' },
  },
});
const DURATION_S = Number(values.duration);
const RATE = Number(values.rate);

const upstream = createServer((_req, res) => res.end('ok'));
await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
const upstreamPort = (upstream.address() as { port: number }).port;

const directory = await mkdtemp(join(tmpdir(), 'proxy-soak-'));
const config = join(directory, 'every-policy.yaml');
await writeFile(config, everyPolicyConfig(`127.0.0.1:${upstreamPort}`));
const port = await freePort();
const metricsPort = await freePort();
// After one unmeasured start: a start from a filled compile cache, as a user's is.
const { child } = await startWarm(
  [
    new URL('../bin/proxy.mjs', import.meta.url).pathname,
    '--config',
    config,
    '--port',
    String(port),
    '--metrics-port',
    String(metricsPort),
    ...(values.workers ? ['--workers', values.workers] : []),
  ],
  `http://127.0.0.1:${metricsPort}/readyz`,
  { LOG_FORMAT: 'json', OTEL_EXPORTER_OTLP_ENDPOINT: '' },
);
await sleep(2000);
const result = await soak({ pid: child.pid as number, port, path: '/', rate: RATE, seconds: DURATION_S });
await stopService(child);
upstream.close();
await rm(directory, { recursive: true, force: true });
const workers = values.workers ? `${values.workers} workers` : '1 worker (the default)';
const title = `proxy soak: every policy on, ${workers}, GET / at ${RATE} req/s for ${DURATION_S} s (node ${process.version}, ${cpus().length} CPUs, ${new Date().toISOString().slice(0, 10)})`;
console.log(`\n${soakTable(title, 'proxy', result)}`);
process.exit(0);
