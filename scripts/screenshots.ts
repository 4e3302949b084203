// Screenshots of the prober's status page from a real run: starts the real flaky-server and the prober on
// loopback (ephemeral ports), lets the prober toggle the server's chaos for a while, then photographs
// the page in Debian's chromium, light and dark, into docs/.
//
//   node scripts/screenshots.ts               # about 100 s of history, then docs/status-{light,dark}.png
//   node scripts/screenshots.ts --seconds 30  # shorter run
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startProcess } from '@sre-stack/runtime/testing';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '100' } } });
const seconds = Math.min(600, Math.max(5, Number(values.seconds) || 100));

const server = startProcess(join(root, 'server/bin/flaky-server.mjs'), {
  args: ['--port', '0', '--metrics-port', '0'],
});
const serverLine = await server.waitForLine((line) => line.msg === 'listening', 15_000);
const serverUrl = `http://127.0.0.1:${serverLine.port}`;
const serverMetrics = `http://127.0.0.1:${serverLine.metrics_port}`;

const dir = await mkdtemp(join(tmpdir(), 'status-screenshots-'));
const config = join(dir, 'probes.yaml');
await writeFile(
  config,
  `server: ${serverUrl}
probes:
  - { name: status, url: "${serverUrl}/status", every: 1s, timeout: 800ms, expect: { maxLatency: 400ms }, failureThreshold: 2, successThreshold: 2 }
  - { name: status-head, method: HEAD, url: "${serverUrl}/status", every: 2s, failureThreshold: 3 }
  - { name: server-ready, url: "${serverMetrics}/readyz", every: 2s }
  - { name: server-metrics, url: "${serverMetrics}/metrics", every: 5s, expect: { body: { contains: http_server_request_duration_seconds } } }
actions:
  - { name: toggle-flaky, every: 20s, toggleFlaky: true }
`,
);
const prober = startProcess(join(root, 'client/bin/prober.mjs'), {
  args: ['--config', config, '--metrics-port', '0'],
  env: { GRAFANA_URL: 'http://localhost:3000', PROBER_LOCATION: 'laptop' },
});
const proberLine = await prober.waitForLine((line) => line.msg === 'listening', 15_000);
const page = `http://127.0.0.1:${proberLine.metrics_port}/`;
console.log(`status page at ${page}; recording ${seconds} s of history`);
await new Promise((done) => setTimeout(done, seconds * 1000));

const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
try {
  for (const colorScheme of ['light', 'dark'] as const) {
    const tab = await browser.newPage({ viewport: { width: 1200, height: 900 }, colorScheme });
    await tab.goto(page, { waitUntil: 'domcontentloaded', timeout: 15_000 });
    await tab.waitForFunction("document.getElementById('connection')?.textContent === 'live'", null, {
      timeout: 15_000,
    });
    const file = join(root, 'docs', `status-${colorScheme}.png`);
    await tab.screenshot({ path: file, fullPage: true });
    console.log(`wrote ${file}`);
    await tab.close();
  }
} finally {
  await browser.close();
  await prober.stop();
  await server.stop();
}
