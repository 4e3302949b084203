// The worst-case reload: a valid config at the 1 MiB limit, parsed and validated while a server in the
// same process answers requests one after another. Two ways, measured in the same run:
//   main thread   what a reload did before (the peer: the bare cost of parse + validate);
//   child process what watchConfig does now (parseInChildProcess).
// Prints the parse time, the requests answered meanwhile and the slowest of them, and the host load.
// Usage: node runtime/bench/config-reload.ts [--runs 3]
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { parseConfigText } from '../src/config/load.ts';
import { parseInChildProcess } from '../src/config/parse-child.ts';
import { largeConfigSchema, largestConfigText } from '../test/fixtures/large-config-schema.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const runs = Math.max(1, Math.min(10, Number(values.runs) || 3));
const text = largestConfigText();
const source = {
  module: new URL('../test/fixtures/large-config-schema.ts', import.meta.url).href,
  name: 'largeConfigSchema',
};

const server = createServer((_request, response) => response.end('ok'));
// Long enough that no keep-alive connection times out while the main thread is blocked.
server.keepAliveTimeout = 120_000;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

/** Requests one after another until `work` settles; the work starts after the first request is sent. */
async function serveDuring(work: () => Promise<unknown>) {
  let done = false;
  const latencies: number[] = [];
  const started = performance.now();
  const running = (async () => {
    await new Promise((resolve) => setImmediate(resolve));
    await work();
    done = true;
  })();
  while (!done && latencies.length < 100_000) {
    const sent = performance.now();
    await (await request(url)).body.text();
    latencies.push(performance.now() - sent);
  }
  await running;
  return { ms: performance.now() - started, answered: latencies.length, slowest: Math.max(...latencies) };
}

const median = (numbers: number[]) =>
  [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)] as number;
const rows: Record<string, { ms: number[]; answered: number[]; slowest: number[] }> = {
  'main thread (peer)': { ms: [], answered: [], slowest: [] },
  'child process (reload)': { ms: [], answered: [], slowest: [] },
};
const loadBefore = loadavg();
for (let run = 0; run < runs; run++) {
  const main = await serveDuring(async () => parseConfigText(text, 'large.yaml', largeConfigSchema));
  const child = await serveDuring(() => parseInChildProcess(text, 'large.yaml', source));
  for (const [name, result] of [
    ['main thread (peer)', main],
    ['child process (reload)', child],
  ] as const) {
    rows[name]?.ms.push(result.ms);
    rows[name]?.answered.push(result.answered);
    rows[name]?.slowest.push(result.slowest);
  }
}
server.close();

const format = (numbers: number[]) => median(numbers).toFixed(0);
console.log(
  `config: ${Buffer.byteLength(text)} bytes, ${text.split('\n  - name:').length - 1} routes; ${runs} runs, medians`,
);
console.log('| parse + validate in | took (ms) | requests answered meanwhile | slowest request (ms) |');
console.log('|---|---|---|---|');
for (const [name, row] of Object.entries(rows)) {
  console.log(`| ${name} | ${format(row.ms)} | ${format(row.answered)} | ${format(row.slowest)} |`);
}
const main = rows['main thread (peer)'];
const child = rows['child process (reload)'];
if (main && child)
  console.log(
    `slowest request, child / main thread: ${(median(child.slowest) / median(main.slowest)).toFixed(3)}×`,
  );
console.log(
  `load average before: ${loadBefore.map((l) => l.toFixed(2)).join(' ')}; after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
