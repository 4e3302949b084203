// The real server and proxy for experiment tests, on ephemeral ports, and runs of `prober experiment`.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually, type RunningProcess, startProcess } from '@sre-stack/runtime/testing';
import { parse, stringify } from 'yaml';
import { PROBER_BIN, SERVER_BIN } from '../helpers/processes.ts';

export const PROXY_BIN = fileURLToPath(new URL('../../../proxy/bin/proxy.mjs', import.meta.url));
export const PROXY_CONFIG = fileURLToPath(new URL('../../../proxy/proxy.yaml', import.meta.url));
export const EXAMPLES = fileURLToPath(new URL('../../../examples/experiments/', import.meta.url));

/** Nothing leaves a test: no telemetry export, no Grafana unless a test sets it. */
const QUIET = {
  OTEL_EXPORTER_OTLP_ENDPOINT: undefined,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: undefined,
  OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: undefined,
  OTEL_TRACES_EXPORTER: undefined,
  GRAFANA_URL: undefined,
  GRAFANA_TOKEN: undefined,
  SERVER_ADMIN_TOKEN: undefined,
  SERVER_CONFIG: undefined,
  PROXY_ADMIN_TOKEN: undefined,
  LOG_LEVEL: 'warn',
};

export interface Stack {
  server: RunningProcess;
  proxy: RunningProcess;
  /** TARGET_URL, SERVER_URL and PROXY_ADMIN_URL for the shipped experiments. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** flaky-server and the proxy with the shipped proxy.yaml in front of it, as `npm start` runs them. */
export async function startStack(): Promise<Stack> {
  const server = startProcess(SERVER_BIN, {
    args: ['--port', '0', '--metrics-port', '0', '--host', '127.0.0.1'],
    env: { ...QUIET, LOG_LEVEL: 'info' },
  });
  const serverLine = await server.waitForLine((line) => line.msg === 'listening', 30_000);
  const serverUrl = `http://127.0.0.1:${serverLine.port}`;
  const proxy = startProcess(PROXY_BIN, {
    args: ['--config', PROXY_CONFIG, '--port', '0', '--metrics-port', '0', '--workers', '1'],
    env: { ...QUIET, LOG_LEVEL: 'info', UPSTREAM_URL: serverUrl },
  });
  const proxyLine = await proxy.waitForLine((line) => line.msg === 'listening', 30_000);
  await warmUp(`http://127.0.0.1:${proxyLine.port}/status`);
  return {
    server,
    proxy,
    env: {
      TARGET_URL: `http://127.0.0.1:${proxyLine.port}`,
      SERVER_URL: serverUrl,
      PROXY_ADMIN_URL: `http://127.0.0.1:${proxyLine.metrics_port}`,
    },
    async stop() {
      await proxy.stop('SIGTERM', 15_000);
      await server.stop('SIGTERM', 15_000);
    },
  };
}

/**
 * Fresh processes answer their first requests slowly (lazy imports, cold JIT); on a busy machine that
 * can trip the proxy's per-try timeout and open its breaker before the experiment starts. Waits for
 * ten quick answers in a row (bounded: 30 s).
 */
async function warmUp(url: string): Promise<void> {
  await eventually(
    async () => {
      for (let i = 0; i < 10; i++) {
        const started = performance.now();
        const response = await fetch(url);
        await response.arrayBuffer();
        if (response.status !== 200 || performance.now() - started > 300)
          throw new Error(
            `not warm yet: ${response.status} in ${Math.round(performance.now() - started)} ms`,
          );
      }
    },
    30_000,
    200,
  );
}

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'experiment-test-'));
}

/**
 * A shipped experiment with shorter windows and pauses for the test (URLs stay as written: they come
 * from the environment). `every` may be changed too, to keep enough runs in a short window.
 */
export async function shortened(
  name: string,
  directory: string,
  change: { window: string; pause: string; every?: string },
): Promise<string> {
  const document = parse(await readFile(join(EXAMPLES, name), 'utf8'));
  document.steady_state.window = change.window;
  if (change.every) for (const probe of document.steady_state.probes) probe.every = change.every;
  for (const step of [...document.method, ...document.rollbacks])
    if ('pause' in step) step.pause = change.pause;
  const file = join(directory, name);
  await writeFile(file, stringify(document));
  return file;
}

export interface ExperimentRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunningExperiment {
  /** Resolves once stdout contains the text. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  signal(name: NodeJS.Signals): void;
  done: Promise<ExperimentRun>;
}

export function startExperiment(
  args: string[],
  env: Record<string, string | undefined>,
  timeoutMs = 120_000,
): RunningExperiment {
  const child = spawn(process.execPath, [PROBER_BIN, 'experiment', ...args], {
    env: { ...process.env, ...QUIET, NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const waiter of waiters.splice(0)) {
      if (stdout.includes(waiter.text)) waiter.resolve();
      else waiters.push(waiter);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<ExperimentRun>((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    }),
  );
  return {
    done,
    signal: (name) => child.kill(name),
    waitFor: (text, waitMs = 30_000) =>
      new Promise((resolve, reject) => {
        if (stdout.includes(text)) return resolve();
        const timer = setTimeout(() => reject(new Error(`no "${text}" in: ${stdout} ${stderr}`)), waitMs);
        waiters.push({
          text,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      }),
  };
}

export const runExperimentBin = (args: string[], env: Record<string, string | undefined> = {}) =>
  startExperiment(args, env).done;

export async function readJournal(file: string): Promise<Journal> {
  return JSON.parse(await readFile(file, 'utf8')) as Journal;
}

export interface Journal {
  title: string;
  verdict: string;
  exit_code: number;
  reason: string;
  interrupted: boolean;
  started_at: string;
  ended_at: string;
  checks: { phase: string; runs: number; held: boolean; success_ratio: number | null }[];
  steps: { phase: string; kind: string; ok: boolean; status?: number; error?: string }[];
  fault_window?: { start: string; end: string };
}
