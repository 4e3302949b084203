// Scrape benchmark: the prober's registry with N probes (every series a run creates), scraped over HTTP
// the way the admin server answers (runtime's sendMetrics), against its peer, prom-client rendering the
// same registry in one piece (registry.metrics(), then end()). For each it prints the time a scrape
// takes and the longest stretch without a turn of the event loop: what a probe timer would wait.
//
//   npm run bench:scrape -w client                 # 1,000 probes
//   npm run bench:scrape -w client -- --probes 200
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { registry, sendMetrics } from '@sre-stack/runtime';
import { recordRun, registerDefinition } from '../src/reporters/metrics.ts';
import type { Definition, RunResult } from '../src/types.ts';

const { values } = parseArgs({
  options: { probes: { type: 'string', default: '1000' }, scrapes: { type: 'string', default: '10' } },
});
const probeCount = Number(values.probes);
const scrapeCount = Number(values.scrapes);

const definitions = Array.from(
  { length: probeCount },
  (_, index) =>
    ({
      kind: 'probe',
      name: `bench-${index}`,
      requests: [{ method: 'GET', url: new URL('http://127.0.0.1:8080/status') }],
      schedule: { kind: 'every', text: 'every 1s' },
    }) as unknown as Definition,
);
const phases = { resolve: 0, connect: 0.2, tls: 0, processing: 0.3, transfer: 0.1 };
for (const definition of definitions) {
  registerDefinition(definition, 'local');
  const result = { success: true, durationMs: 0.8, phases, statusCode: 200 } as unknown as RunResult;
  recordRun(definition, result, { status: 'up', consecutiveFailures: 0 });
}

const oneStretch: RequestListener = async (_request, response) => {
  const body = await registry.metrics();
  response.writeHead(200, { 'content-type': registry.contentType });
  response.end(body);
};
const sliced: RequestListener = (_request, response) => sendMetrics(registry, response);

interface Result {
  name: string;
  bytes: number;
  tookMs: number[];
  stallMs: number[];
}

async function measure(name: string, handler: RequestListener): Promise<Result> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  const result: Result = { name, bytes: 0, tookMs: [], stallMs: [] };
  for (let round = 0; round < scrapeCount; round++) {
    // A 1 ms interval stands for the probes' timers: the longest gap between its ticks is the stall.
    let last = performance.now();
    let longest = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    }, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    last = performance.now();
    longest = 0;
    const started = performance.now();
    const body = await (await fetch(url)).arrayBuffer();
    result.tookMs.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 5));
    clearInterval(ticker);
    result.stallMs.push(longest);
    result.bytes = body.byteLength;
  }
  server.close();
  return result;
}

const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
const loadBefore = load();
// Interleaved, so that both see the same host.
const peer: Result[] = [];
const ours: Result[] = [];
for (let pair = 0; pair < 2; pair++) {
  peer.push(await measure('prom-client, one stretch (peer)', oneStretch));
  ours.push(await measure('sliced, written as formatted', sliced));
}

const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? NaN;
const merged = (results: Result[]): Result => ({
  name: results[0]?.name ?? '',
  bytes: results[0]?.bytes ?? 0,
  tookMs: results.flatMap((result) => result.tookMs),
  stallMs: results.flatMap((result) => result.stallMs),
});
console.log(`\n## /metrics of a prober with ${probeCount} probes, ${2 * scrapeCount} scrapes each`);
console.log(
  `node ${process.version}, ${new Date().toISOString()}, load ${loadBefore} before, ${load()} after\n`,
);
console.log('| render | size (MiB) | scrape median / max (ms) | longest stall median / max (ms) |');
console.log('| --- | ---: | ---: | ---: |');
for (const result of [merged(peer), merged(ours)]) {
  console.log(
    `| ${result.name} | ${(result.bytes / 1024 / 1024).toFixed(1)} | ${median(result.tookMs).toFixed(1)} / ${Math.max(...result.tookMs).toFixed(1)} | ${median(result.stallMs).toFixed(1)} / ${Math.max(...result.stallMs).toFixed(1)} |`,
  );
}
console.log(
  `\nSliced ÷ one stretch, medians: scrape ${(median(merged(ours).tookMs) / median(merged(peer).tookMs)).toFixed(2)}×, longest stall ${(median(merged(ours).stallMs) / median(merged(peer).stallMs)).toFixed(2)}×`,
);
