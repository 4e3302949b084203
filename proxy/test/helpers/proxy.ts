// Starting the real bins for integration tests: the proxy with a config written to a temp file, and the
// scriptable upstream fixture.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningProcess, startProcess } from '@sre-stack/runtime/testing';

export const PROXY_BIN = new URL('../../bin/proxy.mjs', import.meta.url).pathname;
export const UPSTREAM_FIXTURE = new URL('../fixtures/upstream.ts', import.meta.url).pathname;

export interface Upstream {
  process: RunningProcess;
  port: number;
  url: string;
  stats(): Promise<{ hits: Record<string, number>; aborts: Record<string, number> }>;
  stop(): Promise<unknown>;
}

export async function startUpstream(name = 'upstream'): Promise<Upstream> {
  const process = startProcess(UPSTREAM_FIXTURE, { args: ['--port', '0', '--name', name] });
  const line = await process.waitForLine((entry) => entry.msg === 'listening', 15_000);
  const port = line.port as number;
  const url = `http://127.0.0.1:${port}`;
  return {
    process,
    port,
    url,
    stats: async () => (await fetch(`${url}/_control/stats`)).json() as never,
    stop: () => process.stop(),
  };
}

export interface RunningProxy {
  process: RunningProcess;
  port: number;
  metricsPort: number;
  url: string;
  adminUrl: string;
  configFile: string;
  /** Overwrites the config file (the proxy reloads it). */
  writeConfig(yaml: string): Promise<void>;
  metrics(): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export interface ProxyOptions {
  /** --workers N; null passes no flag (the default the product ships). Default 1. */
  workers?: number | null;
  env?: Record<string, string | undefined>;
  args?: string[];
}

export async function startProxy(yaml: string, options: ProxyOptions = {}): Promise<RunningProxy> {
  const directory = await mkdtemp(join(tmpdir(), 'proxy-test-'));
  const configFile = join(directory, 'proxy.yaml');
  await writeFile(configFile, yaml);
  const process = startProcess(PROXY_BIN, {
    args: [
      '--config',
      configFile,
      '--port',
      '0',
      '--metrics-port',
      '0',
      ...(options.workers === null ? [] : ['--workers', String(options.workers ?? 1)]),
      ...(options.args ?? []),
    ],
    env: options.env,
  });
  const line = await process.waitForLine((entry) => entry.msg === 'listening', 30_000);
  const port = line.port as number;
  const metricsPort = line.metrics_port as number;
  return {
    process,
    port,
    metricsPort,
    url: `http://127.0.0.1:${port}`,
    adminUrl: `http://127.0.0.1:${metricsPort}`,
    configFile,
    writeConfig: (text) => writeFile(configFile, text),
    metrics: async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(),
    async stop(signal = 'SIGTERM') {
      const code = await process.stop(signal);
      await rm(directory, { recursive: true, force: true });
      return code;
    },
  };
}

/** The value of one sample in a Prometheus text page, or undefined. */
export function sample(page: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of page.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const match = /^([^{\s]+)(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((pair) => [pair[1], pair[2]]),
    );
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

/** A request on a connection of its own (closed after the response): the kernel may hand each one to
 * another worker thread. Resolves the status, headers and body. */
export function requestOnNewConnection(
  url: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: options.method ?? 'GET', agent: false, headers: { connection: 'close', ...options.headers } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('no answer in 10 s')));
    req.on('error', reject);
    req.end();
  });
}

/** Sends raw bytes on a new connection and resolves what came back when the server closed it. */
export function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    let text = '';
    socket.setEncoding('latin1');
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer in 10 s')));
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

/** Access log lines (msg "request") the proxy wrote so far. */
export function accessLines(proxy: RunningProxy): Record<string, unknown>[] {
  return proxy.process.lines.filter((line) => line.msg === 'request');
}
