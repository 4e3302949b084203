// Status page cost: building the JSON that /probes and each /events message carry, with every probe at
// full history (24 h of minutes, 200 runs), against the peer measured in the same run: the /probes
// JSON without history (what the prober served before the page). Also the heap the history takes.
//
//   node --expose-gc client/bench/status-snapshot.ts             # 10 and 100 probes
//   node --expose-gc client/bench/status-snapshot.ts --probes 500
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createLogger } from '@sre-stack/runtime';
import { Monitor } from '../src/monitor.ts';
import { probesSnapshot } from '../src/reporters/probes-route.ts';
import { HistoryStore, LIMITS } from '../src/status/history.ts';
import { statusSnapshot } from '../src/status/model.ts';
import { serializeHistory } from '../src/status/persist.ts';
import type { Definition, RunResult } from '../src/types.ts';
import { probeDefinition } from '../test/helpers/definitions.ts';

const { values } = parseArgs({ options: { probes: { type: 'string', multiple: true } } });
const sizes = (values.probes ?? ['10', '100']).map(Number);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const MINUTE = 60_000;
const ROUNDS = 50;

function result(definition: Definition, at: number, success: boolean): RunResult {
  return {
    kind: 'probe',
    name: definition.name,
    method: 'GET',
    url: definition.requests[0]?.url ?? '',
    scheduledAt: at,
    startedAt: at,
    lagMs: 0,
    durationMs: 5 + (at % 97),
    phases: { resolve: 0, connect: 1, tls: 0, processing: 3, transfer: 1 },
    statusCode: success ? 200 : 503,
    success,
    ...(success ? {} : { errorType: 'http_status' as const, error: 'status 503, expected 2xx' }),
    assertions: [],
    traceId: '0af7651916cd43dd8448eb211c80319c',
  };
}

function timeMs(build: () => string): { ms: number; bytes: number } {
  for (let round = 0; round < 10; round++) build();
  const started = performance.now();
  let bytes = 0;
  for (let round = 0; round < ROUNDS; round++) bytes = build().length;
  return { ms: (performance.now() - started) / ROUNDS, bytes };
}

const loadBefore = loadavg();
const logger = createLogger({ service: 'bench', level: 'silent' });
const rows: string[][] = [];
for (const count of sizes) {
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const history = new HistoryStore();
  const monitor = new Monitor({
    logger,
    location: 'bench',
    onResult: history.record.bind(history),
  });
  const now = Date.now();
  for (let index = 0; index < count; index++) {
    const definition = probeDefinition({ name: `probe-${index}`, url: `http://127.0.0.1:9/p${index}` });
    const context = monitor.createHandler(definition);
    // One run every 30 s for 24 h: every minute of the day is counted, the last 200 runs are kept.
    for (let run = 0; run < 2 * 24 * 60; run++) {
      const outcome = result(definition, now - 24 * 60 * MINUTE + run * 30_000, run % 9 !== 0);
      context.window.add(outcome.startedAt, outcome.success, outcome.durationMs);
      context.last = outcome;
      history.record(definition, outcome, undefined);
    }
  }
  gc();
  const heapMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  const source = { contexts: () => monitor.contexts.values(), history, location: 'bench', now: Date.now };
  const peer = timeMs(() => JSON.stringify(probesSnapshot(monitor.contexts.values(), 'bench')));
  const page = timeMs(() => JSON.stringify(statusSnapshot(source)));
  const file = serializeHistory(history, Date.now()).length;
  rows.push([
    String(count),
    peer.ms.toFixed(2),
    page.ms.toFixed(2),
    (page.ms / peer.ms).toFixed(1),
    (page.bytes / 1024).toFixed(0),
    heapMiB.toFixed(1),
    (file / 2 ** 20).toFixed(2),
  ]);
}

console.log(
  `bounds: ${LIMITS.recentRunsPerProbe} runs and ${LIMITS.minutesPerProbe} minutes per probe; node ${process.version}`,
);
const load = (averages: number[]) => averages.map((value) => value.toFixed(2)).join(' ');
console.log(`host load average (1, 5, 15 min) before: ${load(loadBefore)}, after: ${load(loadavg())}`);
const header = [
  'probes',
  'peer /probes ms',
  'page JSON ms',
  'ratio',
  'page KiB',
  'history heap MiB',
  'file MiB',
];
console.log(`| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`);
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
