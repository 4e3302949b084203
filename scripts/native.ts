// `npm start`: the demo without Docker. Starts flaky-server, the proxy in front of it and the prober
// on this host, on the same default ports as in docker-compose.yml (so prometheus/prometheus.yml's
// targets map one-to-one to localhost), prints their logs one readable line each, prefixed with the
// service, and stops all three cleanly on Ctrl-C.
//
//   npm start                 pretty logs
//   npm start -- --json       the services' JSON lines as they are (each has a `service` field)
//
// Ports follow the services' own variables (SERVER_PORT, PROXY_PORT, …; 0 lets the OS choose): each
// service reports the ports it bound in its "listening" line, and the next one is pointed there.
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const json = process.argv.includes('--json');
const color = !json && process.stdout.isTTY && !process.env.NO_COLOR;
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
const HIDDEN = new Set(['time', 'level', 'msg', 'service', 'pid', 'hostname']);

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

/** One line for a person: time, service, level, message, then the fields as key=value. */
function prettyLine(service: string, record: LogRecord): string {
  const time =
    typeof record.time === 'string' ? record.time.slice(11, 23) : new Date().toISOString().slice(11, 23);
  const level = String(record.level ?? 'info');
  const fields = Object.entries(record)
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, value]) => `${paint(90, `${key}=`)}${formatValue(value)}`)
    .join(' ');
  return [
    paint(90, time),
    paint(1, service.padEnd(12)),
    paint(LEVEL_HUES[level] ?? 37, level.toUpperCase().padEnd(5)),
    String(record.msg ?? ''),
    fields,
  ]
    .filter(Boolean)
    .join(' ');
}

function say(msg: string, fields: LogRecord = {}): void {
  const record = { time: new Date().toISOString(), level: 'info', service: 'native', msg, ...fields };
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
  if (json)
    process.stdout.write(
      `${record ? JSON.stringify({ service: spec.name, ...record }) : JSON.stringify({ service: spec.name, raw: text })}\n`,
    );
  else
    process.stdout.write(
      `${record ? prettyLine(spec.name, record) : `${paint(spec.hue, spec.name.padEnd(12))} ${text}`}\n`,
    );
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
  bin: 'server/bin/flaky-server.ts',
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
    bin: 'proxy/bin/proxy.ts',
    hue: 36,
    env: () => ({
      PROXY_CONFIG: process.env.PROXY_CONFIG ?? join(root, 'proxy', 'proxy.yaml'),
      // proxy.yaml routes to ${UPSTREAM_URL}.
      UPSTREAM_URL: serverUrl,
    }),
  });
  const prober = await start({
    name: 'prober',
    bin: 'client/bin/prober.ts',
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
        `  Server   ${url(flaky.port, '/status')}   (curl -X POST ${url(flaky.port, '/flaky')} toggles chaos)`,
        `  Proxy    ${url(proxy.port, '/status')}`,
        `  Prober   ${url(prober.metricsPort, '/probes')}`,
        `  Status   ${url(prober.metricsPort, '/')}   (the prober's live status page)`,
        `  Metrics  ${url(flaky.metricsPort, '/metrics')}  ${url(proxy.metricsPort, '/metrics')}  ${url(prober.metricsPort, '/metrics')}`,
        '',
        '  Prometheus on this host: prometheus --config.file=prometheus/prometheus.yml, with the targets',
        '  server/proxy/client:<port> read as localhost:<port>. The full stack with Grafana: ./start.sh',
        '  Ctrl-C stops all three.',
        '',
      ].join('\n'),
    );
  }
}

main().catch((error: Error) => {
  process.stderr.write(`native: ${error.message}\n`);
  void stopAll('start failed', 1);
});
