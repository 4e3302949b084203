// `npm start`: the demo without Docker. Starts flaky-server, the proxy in front of it and the prober
// on this host, on the same default ports as in docker-compose.yml (so prometheus/prometheus.yml's
// targets map one-to-one to localhost), and stops all three cleanly on Ctrl-C. `npm start -- --help`
// prints HELP below.
//
// Ports follow the services' own variables (SERVER_PORT, PROXY_PORT, …; 0 lets the OS choose): each
// service reports the ports it bound in its "listening" line, and the next one is pointed there.
// The compile cache first: its NODE_COMPILE_CACHE reaches the three services, which start from the
// same cache (see runtime/src/compile-cache.mjs).
import '@sre-stack/runtime/compile-cache';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs, stripVTControlCharacters } from 'node:util';
import { clockTime, formatProberRecord } from '../client/src/reporters/console.ts';

const HELP = `npm start [-- OPTIONS]: the flaky server, the proxy in front of it and the prober, on this host

Native mode runs the three services without Docker: the prober probes GET /status through the proxy
(which retries, times out and breaks circuits) and toggles the server's chaos every 10 s, as
client/probes.yaml says. Edits to the three YAML files apply live. Ctrl-C stops all three.

On a terminal it shows one short line per probe run: time, probe, status, latency, and for a
failure its reason; a probe going down or up stands out, and so do chaos switches. The services'
own access logs are left out there. Piped, in a container, or with --json, every line is the full
JSON record, each with a "service" field, as Loki gets it.

Options:
  --json      full JSON lines, even on a terminal
  --pretty    short lines for people, even piped (| less -R) or in a container (a dev container,
              toolbox, docker run -it)
  -h, --help  show this help

Environment:
  SERVER_PORT (8080), SERVER_METRICS_PORT (9101), PROXY_PORT (8000), PROXY_METRICS_PORT (9102),
  PROBER_METRICS_PORT (9103)      ports; 0 lets the OS choose
  SERVER_CONFIG, PROXY_CONFIG, PROBER_CONFIG
                                  other config files (default: server/flaky-server.yaml,
                                  proxy/proxy.yaml, client/probes.yaml)
  LOG_LEVEL (info)                the services' log level
  NO_COLOR                        no colours on a terminal

Examples:
  npm start
  npm start -- --json | jq 'select(.service == "prober")'
  PROXY_PORT=8001 npm start
  curl -X POST localhost:8080/flaky       # toggles chaos; the default schedule toggles it back within 10 s
  curl -X PUT localhost:8080/flaky -H 'content-type: application/json' -d '{"enabled": true, "duration": "5m"}'
                                          # holds chaos on for 5 minutes: the schedule's toggles get 409 meanwhile
`;

/** Docker, Podman and Kubernetes leave these marks; there the log goes to a collector, not a person. */
function inContainer(): boolean {
  return (
    existsSync('/.dockerenv') ||
    existsSync('/run/.containerenv') ||
    process.env.container !== undefined ||
    process.env.KUBERNETES_SERVICE_HOST !== undefined
  );
}

function readOptions(): { json: boolean } {
  let values: { json?: boolean; pretty?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        json: { type: 'boolean' },
        pretty: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`npm start: ${(error as Error).message}\nTry 'npm start -- --help'.\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  if (values.json) return { json: true };
  if (values.pretty) return { json: false };
  return { json: !process.stdout.isTTY || inContainer() };
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { json } = readOptions();
const color = !json && process.stdout.isTTY === true && !process.env.NO_COLOR;
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

type LogRecord = Record<string, unknown>;

interface ServiceSpec {
  name: string;
  bin: string;
  env: () => Record<string, string>;
  /** ANSI color of the name prefix. */
  hue: number;
}

interface Running {
  spec: ServiceSpec;
  child: ChildProcess;
  exited: Promise<number | string>;
  port?: number;
  metricsPort?: number;
}

const services: Running[] = [];
let stopping = false;

const paint = (hue: number, text: string) => (color ? `\x1b[${hue}m${text}\x1b[0m` : text);
const LEVEL_HUES: Record<string, number> = { trace: 90, debug: 90, info: 32, warn: 33, error: 31, fatal: 35 };
const HIDDEN = new Set([
  'time',
  'level',
  'msg',
  'service',
  'pid',
  'hostname',
  'trace_id',
  'span_id',
  'trace_flags',
]);

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

const visible = (text: string) => stripVTControlCharacters(text).length;

/** One line for a person: time, service, level (when not info), message, then the fields as key=value. */
function prettyLine(service: string, record: LogRecord): string {
  const level = String(record.level ?? 'info');
  const head = [
    paint(90, clockTime(record)),
    paint(1, service.padEnd(12)),
    level === 'info' ? '' : paint(LEVEL_HUES[level] ?? 37, level.toUpperCase()),
    String(record.msg ?? ''),
  ]
    .filter(Boolean)
    .join(' ');
  let fields = Object.entries(record)
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, value]) => `${key}=${formatValue(value)}`)
    .join(' ');
  // At most one terminal row: a line that wraps is harder to scan than one cut short.
  const room = (process.stdout.columns ?? Number.POSITIVE_INFINITY) - visible(head) - 1;
  if (fields.length > room) fields = room > 1 ? `${fields.slice(0, room - 1)}…` : '';
  return fields ? `${head} ${paint(90, fields)}` : head;
}

/** What a person sees for one record on the terminal; undefined to leave it out. */
function humanLine(service: string, record: LogRecord): string | undefined {
  // Every probe run passes the proxy and the server: their access-log lines would triple the output.
  if (record.msg === 'request' && (record.level === 'info' || record.level === 'debug')) return undefined;
  if (service === 'prober') {
    const line = formatProberRecord(record, { color });
    if (line) return line;
  }
  if (service === 'flaky-server' && record.msg === 'chaos state changed' && record.change === 'flaky') {
    const pinned = typeof record.pinned_until === 'string' ? `, pinned until ${record.pinned_until}` : '';
    const text = `⚑ chaos ${record.flaky ? 'ON' : 'OFF'} (flaky mode, by ${String(record.source)}${pinned})`;
    return `${paint(90, clockTime(record))} ${color ? `\x1b[1;35m${text}\x1b[0m` : text}`;
  }
  return prettyLine(service, record);
}

function say(msg: string, fields: LogRecord = {}): void {
  const record = { time: new Date().toISOString(), level: 'info', service: 'native', msg, ...fields };
  // On a terminal the banner after "ready" says it better than the record's fields.
  if (!json && msg === 'ready') return;
  process.stdout.write(`${json ? JSON.stringify(record) : prettyLine('native', record)}\n`);
}

function output(spec: ServiceSpec, text: string): void {
  let record: LogRecord | undefined;
  try {
    const parsed = JSON.parse(text);
    if (parsed && typeof parsed === 'object') record = parsed as LogRecord;
  } catch {
    // Not JSON (a crash trace, a warning from node): shown as it is.
  }
  if (json) {
    process.stdout.write(
      `${record ? JSON.stringify({ service: spec.name, ...record }) : JSON.stringify({ service: spec.name, raw: text })}\n`,
    );
    return;
  }
  const line = record ? humanLine(spec.name, record) : `${paint(spec.hue, spec.name.padEnd(12))} ${text}`;
  if (line !== undefined) process.stdout.write(`${line}\n`);
}

/** Starts one service and resolves once it logged "listening", with the ports it bound. */
function start(spec: ServiceSpec): Promise<Running> {
  const child = spawn(process.execPath, [join(root, spec.bin)], {
    cwd: root,
    env: { ...process.env, LOG_FORMAT: 'json', ...spec.env() },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: Ctrl-C reaches this script only, which then stops each service once,
    // in order (a second signal would make a service exit without draining).
    detached: true,
  });
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  const running: Running = { spec, child, exited };
  services.push(running);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${spec.name} did not report "listening" within ${READY_TIMEOUT_MS} ms`)),
      READY_TIMEOUT_MS,
    );
    createInterface({ input: child.stdout! }).on('line', (text) => {
      output(spec, text);
      if (running.metricsPort !== undefined || !text.includes('"listening"')) return;
      try {
        const record = JSON.parse(text) as { msg?: string; port?: number; metrics_port?: number };
        if (record.msg !== 'listening') return;
        running.port = record.port;
        running.metricsPort = record.metrics_port;
        clearTimeout(timer);
        resolve(running);
      } catch {
        // a line that merely mentions "listening"
      }
    });
    createInterface({ input: child.stderr! }).on('line', (text) => output(spec, text));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${spec.name} exited (${code}) before it was ready`));
      if (!stopping) void stopAll(`${spec.name} exited (${code})`, 1);
    });
  });
}

async function stopOne(running: Running): Promise<void> {
  if (running.child.exitCode !== null || running.child.signalCode !== null) return;
  running.child.kill('SIGTERM');
  const timer = setTimeout(() => running.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await running.exited;
  clearTimeout(timer);
}

/** Stops the prober first (no new traffic), then the proxy, then the server, each drained. */
async function stopAll(reason: string, exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  say('stopping', { reason });
  for (const running of [...services].reverse()) await stopOne(running);
  say('stopped');
  process.exit(exitCode);
}

function url(port: number | undefined, path = ''): string {
  return `http://localhost:${port}${path}`;
}

const server: ServiceSpec = {
  name: 'flaky-server',
  bin: 'server/bin/flaky-server.mjs',
  hue: 35,
  env: () => ({ SERVER_CONFIG: process.env.SERVER_CONFIG ?? join(root, 'server', 'flaky-server.yaml') }),
};

async function main(): Promise<void> {
  process.on('SIGINT', () => {
    if (stopping) {
      for (const running of services) running.child.kill('SIGKILL');
      process.exit(130);
    }
    void stopAll('SIGINT', 0);
  });
  process.on('SIGTERM', () => void stopAll('SIGTERM', 0));
  process.on('exit', () => {
    for (const running of services) if (running.child.exitCode === null) running.child.kill('SIGKILL');
  });

  const flaky = await start(server);
  const serverUrl = `http://127.0.0.1:${flaky.port}`;
  const proxy = await start({
    name: 'proxy',
    bin: 'proxy/bin/proxy.mjs',
    hue: 36,
    env: () => ({
      PROXY_CONFIG: process.env.PROXY_CONFIG ?? join(root, 'proxy', 'proxy.yaml'),
      // proxy.yaml routes to ${UPSTREAM_URL}.
      UPSTREAM_URL: serverUrl,
    }),
  });
  const prober = await start({
    name: 'prober',
    bin: 'client/bin/prober.mjs',
    hue: 34,
    env: () => ({
      PROBER_CONFIG: process.env.PROBER_CONFIG ?? join(root, 'client', 'probes.yaml'),
      // Probes go through the proxy; chaos actions straight to the server.
      TARGET_URL: `http://127.0.0.1:${proxy.port}`,
      SERVER_URL: serverUrl,
    }),
  });

  say('ready', {
    services: Object.fromEntries(
      services.map((running) => [
        running.spec.name,
        { port: running.port, metrics_port: running.metricsPort },
      ]),
    ),
  });
  if (!json) {
    process.stdout.write(
      [
        '',
        `  Server   ${url(flaky.port, '/status')}   (POST /flaky toggles chaos; so does the prober, every 10 s)`,
        `  Proxy    ${url(proxy.port, '/status')}`,
        `  Prober   ${url(prober.metricsPort, '/probes')}`,
        `  Status   ${url(prober.metricsPort, '/')}   (the prober's live status page)`,
        `  Metrics  ${url(flaky.metricsPort, '/metrics')}  ${url(proxy.metricsPort, '/metrics')}  ${url(prober.metricsPort, '/metrics')}`,
        '',
        '  Prometheus on this host: prometheus --config.file=prometheus/prometheus.yml, with the targets',
        '  server/proxy/client:<port> read as localhost:<port>. The full stack with Grafana: ./start.sh',
        '  One line per probe run below; full JSON with npm start -- --json. Ctrl-C stops all three.',
        '',
      ].join('\n'),
    );
  }
}

main().catch((error: Error) => {
  process.stderr.write(`native: ${error.message}\n`);
  void stopAll('start failed', 1);
});
